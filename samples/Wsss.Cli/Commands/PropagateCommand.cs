using System.CommandLine;
using System.Diagnostics;
using Wsss.Core.IO;
using Wsss.Core.Propagation;
using Wsss.Core.Tensors;

namespace Wsss.Cli.Commands;

/// <summary>
/// <c>wsss propagate</c>: IRNet's <c>propagate_to_edge</c> on .npy arrays — C (C, h, w) float32 scores, B (h, w) float32
/// boundary in [0, 1]; writes R (C, h, w) = rows of vec(C ⊙ (1 − B))·T^(2^exp-times).
/// </summary>
internal static class PropagateCommand
{
    public static Command Create()
    {
        var cams = new Option<string>("--cams") { Description = "Scores C.npy, float32 (C, h, w)", Required = true };
        var boundary = new Option<string>("--boundary") { Description = "Boundary map B.npy, float32 (h, w) in [0, 1]", Required = true };
        var output = new Option<string>("--out") { Description = "Output R.npy, float32 (C, h, w)", Required = true };
        var radius = new Option<int>("--radius") { Description = "Search radius (pairs within it are linked)", DefaultValueFactory = _ => 5 };
        var beta = new Option<float>("--beta") { Description = "Affinity exponent β", DefaultValueFactory = _ => 10f };
        var expTimes = new Option<int>("--exp-times") { Description = "log2 of the walk length (T is applied 2^exp-times times)", DefaultValueFactory = _ => 8 };
        var timing = new Option<bool>("--timing") { Description = "Print time_ms: N for the propagation alone" };
        var cmd = new Command("propagate", "Random-walk propagation of score maps over a boundary map (IRNet's propagate_to_edge)")
        {
            cams, boundary, output, radius, beta, expTimes, timing,
        };
        cmd.SetAction(parse =>
        {
            var c = Load(parse.GetValue(cams)!, "--cams");
            var b = Load(parse.GetValue(boundary)!, "--boundary");
            if (c.Rank != 3)
                throw new ArgumentException($"--cams: expected a float32 array of shape (C, h, w), got {Tensor.ShapeString(c.ShapeSpan)}");
            if (b.Rank != 2)
                throw new ArgumentException($"--boundary: expected a float32 array of shape (h, w), got {Tensor.ShapeString(b.ShapeSpan)}");
            if (b.Size(0) != c.Size(1) || b.Size(1) != c.Size(2))
                throw new ArgumentException($"--boundary: shape {Tensor.ShapeString(b.ShapeSpan)} does not match the (h, w) of --cams {Tensor.ShapeString(c.ShapeSpan)}");
            if (parse.GetValue(timing))
            {
                // Start-up is not part of time_ms: compile the kernels for this channel count on a tiny map first.
                int side = 2 * Math.Max(parse.GetValue(radius), 2);
                RandomWalk.PropagateToEdge(Tensor.Zeros(c.Size(0), side, side), Tensor.Zeros(side, side), Math.Max(parse.GetValue(radius), 2), 1f, 1);
            }
            var sw = Stopwatch.StartNew();
            Tensor r;
            try
            {
                r = RandomWalk.PropagateToEdge(c, b, parse.GetValue(radius), parse.GetValue(beta), parse.GetValue(expTimes));
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"--{OptionName(e.ParamName)}: {FirstSentence(e.Message)}");
            }
            sw.Stop();
            TensorFiles.SaveNpy(parse.GetValue(output)!, r);
            if (parse.GetValue(timing)) Console.WriteLine($"time_ms: {sw.Elapsed.TotalMilliseconds:F1}".Replace(',', '.'));
            return 0;
        });
        return cmd;
    }

    private static Tensor Load(string path, string option)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{option}: file not found: {path}");
        var array = Npy.Read(path);
        if (array.DType != NpyDType.Float32)
            throw new ArgumentException($"{option}: expected float32, got {array.DType} in {path}");
        return array.ToTensor();
    }

    private static string OptionName(string? param) => param switch
    {
        "scores" => "cams",
        "expTimes" => "exp-times",
        null => "cams",
        _ => param,
    };

    private static string FirstSentence(string message)
    {
        int i = message.IndexOf(" (Parameter", StringComparison.Ordinal);
        return (i >= 0 ? message[..i] : message).ReplaceLineEndings(" ");
    }
}
