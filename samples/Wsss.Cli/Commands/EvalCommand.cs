using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Wsss.Core.Imaging;
using Wsss.Core.Metrics;

namespace Wsss.Cli.Commands;

/// <summary><c>wsss eval</c>: confusion-matrix mIoU of predicted PNG label maps against ground truth (255 = void).</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var pred = new Option<string>("--pred") { Description = "Folder of predicted label-map PNGs", Required = true };
        var gt = new Option<string>("--gt") { Description = "Folder of ground-truth label-map PNGs (255 = void)", Required = true };
        var numClasses = new Option<int>("--num-classes") { Description = "Number of classes, background included", Required = true };
        var list = new Option<string?>("--list") { Description = "File of image ids to evaluate (default: every PNG in --gt)" };
        var json = new Option<string?>("--json") { Description = "Also write the scores as JSON to this file" };
        var cmd = new Command("eval", "Mean IoU of predicted label maps against ground truth (VOC protocol, void ignored, absent classes excluded)")
        {
            pred, gt, numClasses, list, json,
        };
        cmd.SetAction(parse =>
        {
            string predDir = parse.GetValue(pred)!, gtDir = parse.GetValue(gt)!;
            int n = parse.GetValue(numClasses);
            if (n < 1) throw new ArgumentException($"--num-classes must be positive, got {n}");
            if (!Directory.Exists(predDir)) throw new DirectoryNotFoundException($"--pred folder '{predDir}' does not exist");
            if (!Directory.Exists(gtDir)) throw new DirectoryNotFoundException($"--gt folder '{gtDir}' does not exist");
            string? listFile = parse.GetValue(list);
            var ids = listFile is not null
                ? File.ReadAllLines(listFile).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray()
                : Directory.GetFiles(gtDir, "*.png").Select(Path.GetFileNameWithoutExtension).Order().ToArray()!;
            if (ids.Length == 0) throw new InvalidDataException("no images to evaluate");
            var matrix = new ConfusionMatrix(n);
            foreach (var id in ids)
            {
                var truth = ImageCodecs.DecodeLabels(Path.Combine(gtDir, id + ".png"));
                string predPath = Path.Combine(predDir, id + ".png");
                if (!File.Exists(predPath)) throw new FileNotFoundException($"no prediction for '{id}' in {predDir}", predPath);
                var p = ImageCodecs.DecodeLabels(predPath);
                if (p.Width != truth.Width || p.Height != truth.Height)
                    throw new InvalidDataException($"{id}: prediction is {p.Width}x{p.Height}, ground truth {truth.Width}x{truth.Height}");
                matrix.Add(p.Labels, truth.Labels);
            }
            var iou = matrix.IoU();
            var inv = CultureInfo.InvariantCulture;
            Console.WriteLine($"images: {ids.Length}");
            for (int c = 0; c < n; c++)
                Console.WriteLine(string.Create(inv, $"class {c,3}: IoU {(double.IsNaN(iou[c]) ? "  n/a (absent)" : iou[c].ToString("F4", inv))}"));
            Console.WriteLine(string.Create(inv, $"pixel accuracy: {matrix.PixelAccuracy():F4}"));
            double miou = matrix.MeanIoU();
            if (parse.GetValue(json) is string jsonPath)
            {
                var doc = new
                {
                    images = ids.Length,
                    num_classes = n,
                    iou = iou.Select(v => double.IsNaN(v) ? (double?)null : v).ToArray(),
                    miou,
                    miou_absent_as_one = matrix.MeanIoU(AbsentClassPolicy.CountAsOne),
                    pixel_accuracy = matrix.PixelAccuracy(),
                };
                Wsss.Core.IO.AtomicFile.Write(jsonPath, s => JsonSerializer.Serialize(s, doc, new JsonSerializerOptions { WriteIndented = true }));
            }
            Console.WriteLine(string.Create(inv, $"mIoU: {miou:F4}"));
            return 0;
        });
        return cmd;
    }
}
