package dev.tenure.sim;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Writes a campaign's figures as JSON, and one run's timeline as an HTML page with an SVG chart. */
final class Report {

    /** Figures of many seeds. */
    record Campaign(SimulationConfig config, int seeds, List<SimulationResult.Violation> violations, List<Long> failingSeeds,
            List<Long> failoverMillis, List<Long> crashFailoverBeyondMillis, List<Long> takeoverAfterExpiryMillis, long epochs,
            long renewals, long renewRequests, double seconds) {

        long percentile(double p) {
            return percentile(failoverMillis, p);
        }

        static long percentile(List<Long> values, double p) {
            if (values.isEmpty()) {
                return 0;
            }
            List<Long> sorted = new ArrayList<>(values);
            Collections.sort(sorted);
            return sorted.get(Math.max(0, Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1)));
        }

        double requestsPerRenewal() {
            return renewals == 0 ? 0 : (double) renewRequests / renewals;
        }
    }

    private Report() {
    }

    static void write(Path dir, Campaign campaign, SimulationResult shown) throws IOException {
        Files.createDirectories(dir);
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = json.createObjectNode();
        root.put("seeds", campaign.seeds());
        root.put("nodes", campaign.config().nodes());
        root.put("virtualSecondsPerSeed", campaign.config().duration().toSeconds());
        root.put("ttlMillis", campaign.config().ttl().toMillis());
        ArrayNode faults = root.putArray("faults");
        campaign.config().faults().stream().sorted().forEach(f -> faults.add(f.name()));
        root.put("mutation", campaign.config().mutation().map(Enum::name).orElse("none"));
        root.put("violations", campaign.violations().size());
        ArrayNode failing = root.putArray("failingSeeds");
        campaign.failingSeeds().forEach(failing::add);
        ArrayNode details = root.putArray("violationDetails");
        campaign.violations().stream().limit(100).forEach(v -> details.addObject().put("checker", v.checker()).put("detail", v.detail()));
        root.put("epochs", campaign.epochs());
        root.put("failovers", campaign.failoverMillis().size());
        root.put("failoverP50Millis", campaign.percentile(0.5));
        root.put("failoverP99Millis", campaign.percentile(0.99));
        // After a crash of the leader: the failover beyond the ttl + skew margin a contender must wait
        // (the wait until a contender first sees the dead holder's last record, plus round trips).
        root.put("crashFailovers", campaign.crashFailoverBeyondMillis().size());
        root.put("crashFailoverBeyondTtlAndSkewP50Millis", Campaign.percentile(campaign.crashFailoverBeyondMillis(), 0.5));
        root.put("crashFailoverBeyondTtlAndSkewP99Millis", Campaign.percentile(campaign.crashFailoverBeyondMillis(), 0.99));
        // Takeovers by expiry: from the instant the record expired on the taker's clock to its election.
        root.put("takeovers", campaign.takeoverAfterExpiryMillis().size());
        root.put("takeoverAfterExpiryP50Millis", Campaign.percentile(campaign.takeoverAfterExpiryMillis(), 0.5));
        root.put("takeoverAfterExpiryP99Millis", Campaign.percentile(campaign.takeoverAfterExpiryMillis(), 0.99));
        root.put("requestsPerRenewal", Math.round(campaign.requestsPerRenewal() * 1000) / 1000.0);
        root.put("wallSeconds", Math.round(campaign.seconds() * 10) / 10.0);
        json.writeValue(dir.resolve("report.json").toFile(), root);
        Files.writeString(dir.resolve("timeline.html"), html(shown, campaign.config()), StandardCharsets.UTF_8);
    }

    /** Who led when (one row per node), faults marked as red ticks, violations listed. */
    static String html(SimulationResult r, SimulationConfig config) {
        double total = config.duration().toNanos();
        int width = 1200;
        int rowHeight = 26;
        List<String> holders = new ArrayList<>();
        for (int i = 0; i < config.nodes(); i++) {
            holders.add("n" + i);
        }
        int nodes = config.nodes();
        holders.add("other"); // the store (disk full) and the outside writer
        StringBuilder svg = new StringBuilder();
        int height = rowHeight * (holders.size() + 1) + 30;
        svg.append("<svg xmlns='http://www.w3.org/2000/svg' width='").append(width + 80).append("' height='").append(height).append("'>");
        for (int i = 0; i < holders.size(); i++) {
            int y = 20 + i * rowHeight;
            svg.append("<text x='0' y='").append(y + 16).append("' font-size='12'>").append(holders.get(i)).append("</text>");
            svg.append("<line x1='60' x2='").append(60 + width).append("' y1='").append(y + 12).append("' y2='").append(y + 12)
                    .append("' stroke='#ddd'/>");
        }
        String[] colours = {"#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#edc948", "#76b7b2", "#e15759", "#9c755f"};
        for (Recorder.Segment s : r.segments()) {
            for (String h : s.holders()) {
                int node = row(h, nodes);
                long epoch = Long.parseLong(h.substring(h.indexOf('@') + 1));
                double x = 60 + width * s.from() / total;
                double w = Math.max(1, width * (s.until() - s.from()) / total);
                int y = 20 + node * rowHeight + 4;
                svg.append(String.format("<rect x='%.1f' y='%d' width='%.1f' height='16' fill='%s'><title>%s epoch %d, %d-%d ms</title></rect>",
                        x, y, w, colours[(int) (epoch % colours.length)], h, epoch, s.from() / 1_000_000, s.until() / 1_000_000));
            }
        }
        for (Recorder.FaultEvent f : r.faults()) {
            int node = row(f.holder(), nodes);
            double x = 60 + width * f.at() / total;
            double w = Math.max(1, width * f.lengthNanos() / total);
            int y = 20 + node * rowHeight;
            svg.append(String.format("<rect x='%.1f' y='%d' width='%.1f' height='3' fill='#d62728'><title>%s %d ms</title></rect>",
                    x, y, w, f.fault(), f.lengthNanos() / 1_000_000));
        }
        double healX = 60 + width * 0.6;
        svg.append(String.format("<line x1='%.1f' x2='%.1f' y1='10' y2='%d' stroke='#2ca02c' stroke-dasharray='4'/>", healX, healX, height - 20));
        svg.append(String.format("<text x='%.1f' y='%d' font-size='11' fill='#2ca02c'>faults heal</text>", healX + 4, height - 8));
        svg.append("</svg>");
        StringBuilder page = new StringBuilder();
        page.append("<!DOCTYPE html><html><head><meta charset='utf-8'><title>Tenure simulation, seed ").append(r.seed())
                .append("</title></head><body style='font-family:sans-serif'>");
        page.append("<h1>Tenure simulation, seed ").append(r.seed()).append("</h1>");
        page.append("<p>").append(config.nodes()).append(" nodes, ").append(config.duration().toSeconds()).append(" s virtual, faults ")
                .append(config.faults()).append(", mutation ").append(config.mutation().map(Enum::name).orElse("none"))
                .append(". Bars: who held a valid lease (colour = epoch). Red ticks: faults on that node.</p>");
        page.append(svg);
        page.append("<h2>").append(r.ok() ? "No violations" : r.violations().size() + " violations").append("</h2><ul>");
        for (SimulationResult.Violation v : r.violations()) {
            page.append("<li><b>").append(escape(v.checker())).append("</b>: ").append(escape(v.detail())).append("</li>");
        }
        page.append("</ul><p>Replay: <code>./tenure simulate --seed ").append(r.seed()).append("</code></p></body></html>");
        return page.toString();
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    /** The timeline row of a holder: "n3.2" is node 3; the store and the outside writer share the last row. */
    private static int row(String holder, int nodes) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^n(\\d+)\\.").matcher(holder);
        return m.find() ? Integer.parseInt(m.group(1)) : nodes;
    }
}
