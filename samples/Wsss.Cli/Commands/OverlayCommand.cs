using System.CommandLine;
using Wsss.Core.Imaging;
using Wsss.Core.Imaging.Png;

namespace Wsss.Cli.Commands;

/// <summary><c>wsss overlay</c>: a label map in the VOC palette blended over a photo.</summary>
internal static class OverlayCommand
{
    public static Command Create()
    {
        var image = new Option<string>("--image") { Description = "Photo (PNG, JPEG, BMP or (H,W,3) uint8 .npy)", Required = true };
        var labels = new Option<string>("--labels") { Description = "Label-map PNG", Required = true };
        var output = new Option<string>("--out") { Description = "Output PNG", Required = true };
        var alpha = new Option<float>("--alpha") { Description = "Blend weight of the label colours in [0, 1]; 0 writes the decoded photo unchanged", DefaultValueFactory = _ => 0.5f };
        var cmd = new Command("overlay", "Blend a label map (VOC palette) over a photo") { image, labels, output, alpha };
        cmd.SetAction(parse =>
        {
            float a = parse.GetValue(alpha);
            if (!(a >= 0 && a <= 1)) throw new ArgumentException($"--alpha must be in [0, 1], got {a}");
            var photo = ImageCodecs.Decode(parse.GetValue(image)!);
            var map = ImageCodecs.DecodeLabels(parse.GetValue(labels)!);
            if (map.Width != photo.Width || map.Height != photo.Height)
                throw new InvalidDataException($"the label map is {map.Width}x{map.Height}, the photo {photo.Width}x{photo.Height}");
            PngEncoder.Write(parse.GetValue(output)!, Pictures.Overlay(photo, map, a));
            return 0;
        });
        return cmd;
    }
}
