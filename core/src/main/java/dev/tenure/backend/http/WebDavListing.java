package dev.tenure.backend.http;

import dev.tenure.backend.BackendException;
import dev.tenure.backend.internal.SafeXml;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/**
 * Reads a WebDAV {@code PROPFIND Depth: 1} answer (RFC 4918 §9.1): one {@code DAV:response} per
 * member, each with an {@code href} and, for a collection, a {@code resourcetype} holding
 * {@code collection}. The parser refuses DTDs, so a hostile server cannot make it fetch or expand
 * entities.
 */
final class WebDavListing {

    /** Asks for the resource type only: the one property listing needs. */
    static final String REQUEST_BODY = "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
            + "<D:propfind xmlns:D=\"DAV:\"><D:prop><D:resourcetype/></D:prop></D:propfind>";

    private static final String DAV = "DAV:";

    /**
     * One member of a collection.
     *
     * @param name the member's own name, percent-decoded from its href
     * @param collection whether it is a collection
     */
    record Entry(String name, boolean collection) {
    }

    private WebDavListing() {
    }

    /** The members of {@code dir} in a multistatus body; the collection itself is left out. */
    static List<Entry> parse(byte[] body, URI dir, String backendName) {
        Document doc = document(body, dir, backendName);
        String dirPath = trimSlash(dir.getPath());
        List<Entry> entries = new ArrayList<>();
        NodeList responses = doc.getElementsByTagNameNS(DAV, "response");
        for (int i = 0; i < responses.getLength(); i++) {
            Element response = (Element) responses.item(i);
            NodeList hrefs = response.getElementsByTagNameNS(DAV, "href");
            if (hrefs.getLength() == 0) {
                continue;
            }
            String path;
            try {
                path = trimSlash(new URI(hrefs.item(0).getTextContent().strip()).getPath());
            } catch (URISyntaxException e) {
                throw BackendException.internal(null, backendName + ": PROPFIND " + dir.getRawPath()
                        + " answered an href that is not a URI: " + e.getMessage(), e);
            }
            if (path == null || path.equals(dirPath)) {
                continue;
            }
            int slash = path.lastIndexOf('/');
            if (!path.substring(0, Math.max(slash, 0)).equals(dirPath)) {
                // Not a direct member (a server that ignored Depth: 1); the walk reaches it from its own parent.
                continue;
            }
            boolean collection = response.getElementsByTagNameNS(DAV, "collection").getLength() > 0;
            entries.add(new Entry(path.substring(slash + 1), collection));
        }
        return entries;
    }

    private static Document document(byte[] body, URI dir, String backendName) {
        try {
            return SafeXml.parse(body);
        } catch (SAXException | IOException e) {
            throw BackendException.internal(null, backendName + ": PROPFIND " + dir.getRawPath()
                    + " answered a body that is not a WebDAV multistatus: " + e.getMessage(), e);
        }
    }

    private static String trimSlash(String path) {
        if (path == null) {
            return null;
        }
        return path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    }
}
