using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Wsss.Core.Crf;
using Wsss.Core.IO;
using Wsss.Core.Tensors;

namespace Wsss.Cli.Commands;

/// <summary>
/// <c>wsss crf</c>: refines class probabilities (or a label map) with the dense CRF, as pydensecrf's
/// <c>DenseCRF2D</c> with <c>unary_from_softmax</c> / <c>unary_from_labels(zero_unsure=False)</c>.
/// </summary>
internal static class CrfCommand
{
    public static Command Create()
    {
        var image = new Option<string>("--image") { Description = "Image: PNG, JPEG or BMP, or a (H,W,C) uint8 .npy (any channel count)", Required = true };
        var probs = new Option<string?>("--probs") { Description = "float32 (L,H,W) class probabilities; unary = -log(clip(P, 1e-5, 1))" };
        var labels = new Option<string?>("--labels") { Description = "(H,W) integer label map; unary as unary_from_labels(zero_unsure=False)" };
        var nLabels = new Option<int?>("--n-labels") { Description = "Number of labels L (with --labels)" };
        var gtProb = new Option<double>("--gt-prob") { Description = "Confidence of the given labels (with --labels)", DefaultValueFactory = _ => 0.7 };
        var output = new Option<string>("--out") { Description = "Output: float32 (L,H,W) marginals .npy", Required = true };
        var iterations = new Option<int>("--iterations") { Description = "Mean-field iterations", DefaultValueFactory = _ => 10 };
        var gsxy = new Option<float>("--gaussian-sxy") { Description = "Smoothness kernel standard deviation (pixels)", DefaultValueFactory = _ => 3f };
        var gcompat = new Option<float>("--gaussian-compat") { Description = "Smoothness kernel Potts weight", DefaultValueFactory = _ => 3f };
        var bsxy = new Option<float>("--bilateral-sxy") { Description = "Appearance kernel spatial standard deviation (pixels)", DefaultValueFactory = _ => 80f };
        var bsrgb = new Option<float>("--bilateral-srgb") { Description = "Appearance kernel colour standard deviation", DefaultValueFactory = _ => 13f };
        var bcompat = new Option<float>("--bilateral-compat") { Description = "Appearance kernel Potts weight", DefaultValueFactory = _ => 10f };
        var timing = new Option<bool>("--timing") { Description = "Print 'time_ms: N' for the CRF computation alone (no file I/O)" };
        var cmd = new Command("crf", "Refine class probabilities or a label map with the fully connected CRF (pydensecrf-compatible)")
        {
            image, probs, labels, nLabels, gtProb, output, iterations, gsxy, gcompat, bsxy, bsrgb, bcompat, timing,
        };
        cmd.SetAction(parse =>
        {
            string imagePath = parse.GetValue(image)!;
            string? probsPath = parse.GetValue(probs), labelsPath = parse.GetValue(labels);
            if ((probsPath is null) == (labelsPath is null)) throw new ArgumentException("pass exactly one of --probs or --labels");
            int iters = parse.GetValue(iterations);
            if (iters < 0) throw new ArgumentException($"--iterations must be non-negative, got {iters}");
            // Validate every numeric flag here so errors name the flag, not the library's parameter (sx, colorStdDevs, weight...).
            float gs = StdDev(parse.GetValue(gsxy), "--gaussian-sxy"), bs = StdDev(parse.GetValue(bsxy), "--bilateral-sxy");
            float br = StdDev(parse.GetValue(bsrgb), "--bilateral-srgb");
            float gc = Finite(parse.GetValue(gcompat), "--gaussian-compat"), bc = Finite(parse.GetValue(bcompat), "--bilateral-compat");
            double gt = parse.GetValue(gtProb);
            if (labelsPath is not null && !(gt > 0 && gt < 1)) throw new ArgumentException($"--gt-prob must be in (0, 1), got {gt.ToString(CultureInfo.InvariantCulture)}");

            (byte[] pixels, int h, int w, int channels) = ReadImage(imagePath);
            Tensor? p = null;
            int[]? y = null;
            int l;
            if (probsPath is not null)
            {
                var arr = Npy.Read(probsPath);
                if (arr.Rank != 3 || arr.Shape[1] != h || arr.Shape[2] != w)
                    throw new ArgumentException($"--probs {probsPath}: expected shape (L, {h}, {w}) to match the image, got ({string.Join(", ", arr.Shape)})");
                p = arr.ToTensor();
                l = arr.Shape[0];
            }
            else
            {
                var arr = Npy.Read(labelsPath!);
                if (arr.Rank != 2 || arr.Shape[0] != h || arr.Shape[1] != w)
                    throw new ArgumentException($"--labels {labelsPath}: expected shape ({h}, {w}) to match the image, got ({string.Join(", ", arr.Shape)})");
                if (arr.DType is NpyDType.Float32 or NpyDType.Float64) throw new ArgumentException($"--labels {labelsPath}: expected an integer label map, got {arr.DType}");
                y = arr.ToInt32();
                l = parse.GetValue(nLabels) ?? throw new ArgumentException("--labels needs --n-labels");
                if (l < 2) throw new ArgumentException($"--n-labels must be at least 2 with --labels, got {l}");
                for (int i = 0; i < y.Length; i++)
                {
                    if ((uint)y[i] >= (uint)l)
                        throw new ArgumentException($"--labels {labelsPath}: label {y[i]} at pixel ({i / w}, {i % w}) is outside [0, {l - 1}] (--n-labels {l})");
                }
            }

            var sw = Stopwatch.StartNew();
            Tensor q;
            try
            {
                using var crf = new DenseCrf(w, h, l);
                if (p is not null) crf.SetUnaryFromProbabilities(p);
                else crf.SetUnaryEnergy(CrfUnary.FromLabels(y, h, w, l, gt, zeroUnsure: false));
                crf.AddPairwiseGaussian(gs, gs, LabelCompatibility.Potts(gc));
                crf.AddPairwiseBilateral(bs, bs, [br], pixels, channels, LabelCompatibility.Potts(bc));
                q = crf.Inference(iters);
            }
            catch (ArgumentException e) when (FlagOf(e.ParamName) is { } flag)
            {
                // Whatever the library still rejects, reported against the flag that supplied it.
                throw new ArgumentException($"{flag}: {StripParamName(e)}", e);
            }

            sw.Stop();
            TensorFiles.SaveNpy(parse.GetValue(output)!, q);
            if (parse.GetValue(timing)) Console.WriteLine($"time_ms: {sw.Elapsed.TotalMilliseconds:F0}");
            return 0;
        });
        return cmd;
    }

    private static float StdDev(float value, string flag)
    {
        if (!(value > 0f) || !float.IsFinite(value))
            throw new ArgumentException($"{flag} must be a finite standard deviation > 0, got {value.ToString(CultureInfo.InvariantCulture)}");
        return value;
    }

    private static float Finite(float value, string flag)
    {
        if (!float.IsFinite(value)) throw new ArgumentException($"{flag} must be finite, got {value.ToString(CultureInfo.InvariantCulture)}");
        return value;
    }

    /// <summary>The CLI flag behind a library parameter name, for errors the library raises after validation here.</summary>
    private static string? FlagOf(string? paramName) => paramName switch
    {
        "probabilities" or "unary" => "--probs",
        "labels" => "--labels",
        "labelCount" => "--n-labels",
        "gtProb" => "--gt-prob",
        "features" => "--gaussian-sxy, --bilateral-sxy or --bilateral-srgb",
        "image" or "channels" => "--image",
        "colorStdDevs" => "--bilateral-srgb",
        "iterations" => "--iterations",
        "width" or "height" => "--image",
        _ => null,
    };

    private static string StripParamName(ArgumentException e)
    {
        string m = e.Message;
        int at = e.ParamName is null ? -1 : m.LastIndexOf($" (Parameter '{e.ParamName}')", StringComparison.Ordinal);
        return at >= 0 ? m[..at] : m;
    }

    /// <summary>Reads the image: PNG, JPEG or BMP (as RGB), or an (H, W, C) uint8 .npy with any channel count.</summary>
    private static (byte[] Pixels, int Height, int Width, int Channels) ReadImage(string path)
    {
        string ext = Path.GetExtension(path).ToLowerInvariant();
        if (ext != ".npy")
        {
            var img = Wsss.Core.Imaging.ImageCodecs.Decode(path).ToRgb();
            return (img.Pixels, img.Height, img.Width, 3);
        }
        var arr = Npy.Read(path);
        if (arr.DType != NpyDType.UInt8 || arr.Rank != 3 || arr.Shape[0] < 1 || arr.Shape[1] < 1 || arr.Shape[2] < 1)
            throw new ArgumentException($"--image {path}: expected a non-empty (H,W,3) uint8 array, got {arr.DType} ({string.Join(", ", arr.Shape)})");
        return (arr.ToUInt8(), arr.Shape[0], arr.Shape[1], arr.Shape[2]);
    }
}
