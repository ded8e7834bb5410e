using System.Globalization;
using System.Net;
using System.Text;

namespace Wsss.Core.Imaging;

/// <summary>Line charts as standalone SVG (training curves: loss against step).</summary>
public static class SvgChart
{
    private static readonly string[] Colours = { "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b" };

    /// <summary>An SVG document with one polyline per series, axes with min/max ticks, a title and a legend.</summary>
    public static string LineChart(IReadOnlyList<(string Name, IReadOnlyList<(double X, double Y)> Points)> series, string title = "",
        string xLabel = "step", string yLabel = "loss", int width = 640, int height = 400)
    {
        ArgumentNullException.ThrowIfNull(series);
        if (series.Count == 0 || series.All(s => s.Points.Count == 0)) throw new ArgumentException("no points to draw", nameof(series));
        if (width < 100 || height < 100) throw new ArgumentOutOfRangeException(nameof(width), $"chart {width}x{height} is too small (at least 100x100)");
        var pts = series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList();
        if (pts.Count == 0) throw new ArgumentException("every point is NaN or infinite", nameof(series));
        double x0 = pts.Min(p => p.X), x1 = pts.Max(p => p.X), y0 = pts.Min(p => p.Y), y1 = pts.Max(p => p.Y);
        if (x1 == x0) x1 = x0 + 1;
        if (y1 == y0) y1 = y0 + 1;
        const int left = 70, right = 20, top = 40, bottom = 50;
        double pw = width - left - right, ph = height - top - bottom;
        string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
        string Sx(double x) => F(left + (x - x0) / (x1 - x0) * pw);
        string Sy(double y) => F(top + ph - (y - y0) / (y1 - y0) * ph);
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        sb.Append(CultureInfo.InvariantCulture, $"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{width / 2}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">{WebUtility.HtmlEncode(title)}</text>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{top + ph}\" x2=\"{left + pw}\" y2=\"{top + ph}\" stroke=\"black\"/>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{top + ph}\" stroke=\"black\"/>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{left}\" y=\"{top + ph + 18}\" text-anchor=\"start\">{F(x0)}</text><text x=\"{left + pw}\" y=\"{top + ph + 18}\" text-anchor=\"end\">{F(x1)}</text>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 6}\" y=\"{top + ph}\" text-anchor=\"end\">{F(y0)}</text><text x=\"{left - 6}\" y=\"{top + 10}\" text-anchor=\"end\">{F(y1)}</text>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{left + pw / 2}\" y=\"{height - 12}\" text-anchor=\"middle\">{WebUtility.HtmlEncode(xLabel)}</text>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"16\" y=\"{top + ph / 2}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {top + ph / 2})\">{WebUtility.HtmlEncode(yLabel)}</text>\n");
        for (int s = 0; s < series.Count; s++)
        {
            string colour = Colours[s % Colours.Length];
            var points = string.Join(' ', series[s].Points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).Select(p => $"{Sx(p.X)},{Sy(p.Y)}"));
            sb.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\" points=\"{points}\"/>\n");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{left + pw - 4}\" y=\"{top + 14 + 16 * s}\" text-anchor=\"end\" fill=\"{colour}\">{WebUtility.HtmlEncode(series[s].Name)}</text>\n");
        }
        sb.Append("</svg>\n");
        return sb.ToString();
    }
}
