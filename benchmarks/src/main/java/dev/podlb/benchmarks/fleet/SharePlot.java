package dev.podlb.benchmarks.fleet;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;

/** A line plot of shares per second, drawn with Java2D and written as a PNG. */
final class SharePlot {
    private static final int WIDTH = 900;
    private static final int HEIGHT = 520;
    private static final int LEFT = 70;
    private static final int RIGHT = 30;
    private static final int TOP = 50;
    private static final int BOTTOM = 60;
    private static final Color[] COLORS = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0x9467bd)};

    private SharePlot() {}

    /** Plots {@code expected} dashed and each of {@code measured} as a line, shares from 0 to the largest seen. */
    static void write(Path file, String title, double[] expected, Map<String, double[]> measured) throws IOException {
        System.setProperty("java.awt.headless", "true");
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, WIDTH, HEIGHT);
        double top = 0.15;
        for (double[] series : measured.values()) {
            for (double v : series) {
                top = Math.max(top, Math.ceil(v * 20) / 20);
            }
        }
        int seconds = expected.length;
        int plotWidth = WIDTH - LEFT - RIGHT;
        int plotHeight = HEIGHT - TOP - BOTTOM;
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (int step = 0; step <= Math.round(top * 100 / 5); step++) {
            double share = step * 0.05;
            int y = TOP + plotHeight - (int) Math.round(share / top * plotHeight);
            g.setColor(new Color(0xe0e0e0));
            g.drawLine(LEFT, y, LEFT + plotWidth, y);
            g.setColor(Color.DARK_GRAY);
            g.drawString(String.format(Locale.ROOT, "%d%%", step * 5), LEFT - 40, y + 4);
        }
        for (int s = 0; s <= seconds; s += 5) {
            int x = LEFT + (int) Math.round((double) s / seconds * plotWidth);
            g.setColor(new Color(0xe0e0e0));
            g.drawLine(x, TOP, x, TOP + plotHeight);
            g.setColor(Color.DARK_GRAY);
            g.drawString(s + " s", x - 8, TOP + plotHeight + 18);
        }
        g.setColor(Color.BLACK);
        g.drawRect(LEFT, TOP, plotWidth, plotHeight);
        g.drawString("seconds since the new pod joined", LEFT + plotWidth / 2 - 90, HEIGHT - 18);
        g.drawString("share of calls to the new pod", 8, TOP - 12);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.drawString(title, LEFT, 22);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.setColor(Color.BLACK);
        g.setStroke(new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 1f, new float[] {6f, 5f}, 0f));
        line(g, expected, top, plotWidth, plotHeight);
        legend(g, 0, "expected (Envoy's formula)");
        int i = 0;
        for (Map.Entry<String, double[]> series : measured.entrySet()) {
            g.setColor(COLORS[i % COLORS.length]);
            g.setStroke(new BasicStroke(2f));
            line(g, series.getValue(), top, plotWidth, plotHeight);
            legend(g, i + 1, series.getKey());
            i++;
        }
        g.dispose();
        ImageIO.write(image, "png", file.toFile());
    }

    /** One point per second, at the middle of its second. */
    private static void line(Graphics2D g, double[] values, double top, int plotWidth, int plotHeight) {
        int seconds = values.length;
        int[] xs = new int[seconds];
        int[] ys = new int[seconds];
        for (int s = 0; s < seconds; s++) {
            xs[s] = LEFT + (int) Math.round((s + 0.5) / seconds * plotWidth);
            ys[s] = TOP + plotHeight - (int) Math.round(values[s] / top * plotHeight);
        }
        g.drawPolyline(xs, ys, seconds);
    }

    private static void legend(Graphics2D g, int row, String name) {
        int x = LEFT + (WIDTH - LEFT - RIGHT) - 230;
        int y = TOP + plotRowY(row);
        g.drawLine(x, y, x + 30, y);
        Color line = g.getColor();
        g.setColor(Color.BLACK);
        g.drawString(name, x + 38, y + 4);
        g.setColor(line);
    }

    private static int plotRowY(int row) {
        return HEIGHT - TOP - BOTTOM - 110 + row * 20;
    }
}
