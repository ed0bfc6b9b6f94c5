package dev.tenure.backend.internal;

import dev.tenure.backend.BackendException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.xml.sax.SAXException;

/**
 * Parses XML a server sent: DTDs are refused and entities never expanded, so a hostile server
 * cannot make the parser fetch a URL or a local file, or blow up memory.
 */
public final class SafeXml {

    private SafeXml() {
    }

    /**
     * The document in {@code body}, namespace-aware.
     *
     * @throws SAXException when the body is not well-formed XML (the caller says what it expected)
     * @throws BackendException INTERNAL when this JVM's parser cannot be configured safely
     */
    public static Document parse(byte[] body) throws SAXException, IOException {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setNamespaceAware(true);
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            factory.setExpandEntityReferences(false);
            factory.setXIncludeAware(false);
            DocumentBuilder builder = factory.newDocumentBuilder();
            builder.setErrorHandler(new org.xml.sax.helpers.DefaultHandler());
            return builder.parse(new ByteArrayInputStream(body));
        } catch (ParserConfigurationException e) {
            throw BackendException.internal(null, "this JVM's XML parser cannot be configured safely: " + e.getMessage(), e);
        }
    }
}
