package dev.tenure.backend.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tenure.backend.BackendException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class WebDavListingTest {

    private static final URI DIR = URI.create("http://127.0.0.1:18080/dav/ns/");

    @Test
    void membersComeFromHrefsInEitherFormAndTheCollectionItselfIsLeftOut() {
        String body = """
                <?xml version="1.0" encoding="utf-8"?>
                <D:multistatus xmlns:D="DAV:">
                  <D:response><D:href>/dav/ns/</D:href>
                    <D:propstat><D:prop><D:resourcetype><D:collection/></D:resourcetype></D:prop></D:propstat></D:response>
                  <D:response><D:href>/dav/ns/with%2520space.obj</D:href>
                    <D:propstat><D:prop><D:resourcetype/></D:prop></D:propstat></D:response>
                  <D:response><D:href>http://127.0.0.1:18080/dav/ns/sub/</D:href>
                    <D:propstat><D:prop><D:resourcetype><D:collection/></D:resourcetype></D:prop></D:propstat></D:response>
                  <lp1:response xmlns:lp1="DAV:"><lp1:href>/dav/ns/sub/deeper.obj</lp1:href></lp1:response>
                </D:multistatus>
                """;
        List<WebDavListing.Entry> entries = WebDavListing.parse(body.getBytes(StandardCharsets.UTF_8), DIR, "test");
        assertEquals(List.of(new WebDavListing.Entry("with%20space.obj", false), new WebDavListing.Entry("sub", true)), entries);
    }

    @Test
    void aDoctypeIsRefusedSoNoEntityIsEverExpanded() {
        String body = """
                <?xml version="1.0"?>
                <!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]>
                <D:multistatus xmlns:D="DAV:"><D:response><D:href>/dav/ns/&x;</D:href></D:response></D:multistatus>
                """;
        BackendException e = assertThrows(BackendException.class,
                () -> WebDavListing.parse(body.getBytes(StandardCharsets.UTF_8), DIR, "test"));
        assertEquals(BackendException.Kind.INTERNAL, e.kind());
        assertTrue(e.getMessage().contains("not a WebDAV multistatus"), e.getMessage());
    }
}
