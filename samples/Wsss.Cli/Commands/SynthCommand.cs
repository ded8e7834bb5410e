using System.CommandLine;
using Wsss.Core.Data;

namespace Wsss.Cli.Commands;

/// <summary><c>wsss synth</c>: writes a synthetic weakly labelled set in VOC layout.</summary>
internal static class SynthCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "Output folder (VOC layout)", Required = true };
        var count = new Option<int>("--count") { Description = "Number of images", DefaultValueFactory = _ => 200 };
        var size = new Option<int>("--size") { Description = "Image side in pixels", DefaultValueFactory = _ => 128 };
        var seed = new Option<ulong>("--seed") { Description = "Seed", DefaultValueFactory = _ => 0UL };
        var classes = new Option<int>("--classes") { Description = "Object classes (1-8)", DefaultValueFactory = _ => 4 };
        var cmd = new Command("synth", "Write a synthetic weakly labelled set (images, label maps, tags) in VOC layout") { output, count, size, seed, classes };
        cmd.SetAction(parse =>
        {
            int n = parse.GetValue(count);
            if (n < 1) throw new ArgumentException($"--count must be positive, got {n}");
            var scenes = new SyntheticScenes(new SyntheticSceneOptions { Size = parse.GetValue(size), Seed = parse.GetValue(seed), Classes = parse.GetValue(classes), VoidBorder = 1 });
            string dir = parse.GetValue(output)!;
            VocDataset.WriteSynthetic(dir, scenes, n, trainCount: n - n / 5);
            Console.WriteLine($"wrote {n} scenes ({n - n / 5} train, {n / 5} val) of {scenes.Options.Size}x{scenes.Options.Size} with {scenes.Options.Classes} classes to {dir}");
            return 0;
        });
        return cmd;
    }
}
