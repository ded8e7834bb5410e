using Wsss.Core.Imaging;
using Wsss.Core.IO;
using Wsss.Core.Models;
using Wsss.Core.Tensors;
using Wsss.Core.Tests.Models;

namespace Wsss.Core.Tests.Cam;

/// <summary>The network, image and labels of Fixtures/cam/make_cam_fixtures.py.</summary>
internal static class CamFixture
{
    private static readonly Lazy<CamClassifier> Net = new(() =>
    {
        var net = new CamClassifier(20);
        FormulaWeights.Set(net);
        net.Eval();
        return net;
    });

    /// <summary>IRNet's CAM network with the formula weights (shared: it is only read).</summary>
    public static CamClassifier Network => Net.Value;

    public static IReadOnlyDictionary<string, NpyArray> Irn => Npz.Read(TestUtil.FixturePath("cam", "irn_cam.npz"));

    public static ImageBuffer Image()
    {
        var img = Irn["image"];
        var shape = img.GetShape();
        return new ImageBuffer(shape[1], shape[0], 3, img.Data.ToArray());
    }

    public static float[] Labels() => Irn["label"].ToFloat32();

    public static int[] Keys(NpyArray keys) => keys.ToFloat64().Select(v => (int)v).ToArray();

    public static Tensor Float(NpyArray a) => a.ToTensor();
}
