using Wsss.Core.Cam;
using Wsss.Core.Imaging;
using Wsss.Core.IO;
using Wsss.Core.Tensors;

namespace Wsss.Core.Tests.Cam;

/// <summary>Multi-scale CAMs against IRNet's make_cam and psa's infer_cls (Fixtures/cam/make_cam_fixtures.py, same formula weights).</summary>
public class CamInferenceTests
{
    [Test]
    public void IrnCamsMatchTheReference()
    {
        var f = CamFixture.Irn;
        var result = CamInference.Irn(CamFixture.Network, CamFixture.Image(), CamFixture.Labels());
        Assert.That(result.Keys, Is.EqualTo(CamFixture.Keys(f["keys"])));
        Assert.That(result.Keys, Is.EqualTo(new[] { 3, 7, 9, 13 }));
        var strided = CamFixture.Float(f["strided"]);
        var high = CamFixture.Float(f["high_res"]);
        Assert.That(result.Strided.Shape, Is.EqualTo(new[] { 4, 15, 19 }), "stride 4 of 58x75");
        Assert.That(result.HighRes.Shape, Is.EqualTo(new[] { 4, 58, 75 }));
        TestUtil.AssertClose(result.Strided, strided, 1e-4, 2e-5, "strided CAMs");
        TestUtil.AssertClose(result.HighRes, high, 1e-4, 2e-5, "high-res CAMs");
        // Normalised maps: each active class peaks just below 1, the class that never fires stays 0.
        Assert.That(result.HighRes.Narrow(0, 2, 1).Max().Item(), Is.EqualTo(1f).Within(1e-4));
        Assert.That(result.HighRes.Narrow(0, 1, 1).Max().Item(), Is.EqualTo(0f));
    }

    [Test]
    public void PsaCamsMatchTheReference()
    {
        var f = Npz.Read(TestUtil.FixturePath("cam", "psa_cam.npz"));
        var result = CamInference.Psa(CamFixture.Network, CamFixture.Image(), CamFixture.Labels());
        Assert.That(result.Keys, Is.EqualTo(CamFixture.Keys(f["keys"])));
        TestUtil.AssertClose(result.Cams, f["cams"].ToTensor(), 1e-4, 2e-5, "psa CAMs");
    }

    [Test]
    public void SingleScaleWithoutFlipIsTheNormalisedCamOfTheImage()
    {
        var image = CamFixture.Image();
        var labels = CamFixture.Labels();
        var result = CamInference.Psa(CamFixture.Network, image, labels, new[] { 1.0 }, flip: false);
        Tensor cams;
        using (Autograd.NoGrad())
        {
            var x = image.ToNormalizedTensor(ImageBuffer.ImageNetMean, ImageBuffer.ImageNetStd).Unsqueeze(0);
            cams = CamFixture.Network.PredictScores(x);
        }
        int hw = 58 * 75;
        for (int k = 0; k < result.Keys.Length; k++)
        {
            var plane = cams.Data.Slice(result.Keys[k] * hw, hw).ToArray();
            float div = plane.Max() + 1e-5f;
            TestUtil.AssertClose(result.Cams.Data.Slice(k * hw, hw), plane.Select(v => v / div).ToArray(), 1e-5, 1e-6, $"class {result.Keys[k]}");
        }
    }

    [Test]
    public void NoPresentClassGivesEmptyMaps()
    {
        var result = CamInference.Irn(CamFixture.Network, CamFixture.Image(), new float[20], new[] { 1.0 });
        Assert.That(result.Keys, Is.Empty);
        Assert.That(result.Strided.Shape, Is.EqualTo(new[] { 0, 15, 19 }));
        Assert.That(result.HighRes.Shape, Is.EqualTo(new[] { 0, 58, 75 }));
    }

    [Test]
    public void BadInputIsRejected()
    {
        var net = CamFixture.Network;
        var image = CamFixture.Image();
        Assert.That(Assert.Throws<ArgumentException>(() => CamInference.Irn(net, image, new float[19]))!.ParamName, Is.EqualTo("labels"));
        Assert.That(Assert.Throws<ArgumentException>(() => CamInference.Irn(net, image, CamFixture.Labels(), Array.Empty<double>()))!.ParamName, Is.EqualTo("scales"));
        Assert.That(Assert.Throws<ArgumentException>(() => CamInference.Psa(net, image, CamFixture.Labels(), new[] { 1.0, -0.5 }))!.ParamName, Is.EqualTo("scales"));
        var nan = CamFixture.Labels();
        nan[4] = float.NaN;
        Assert.That(Assert.Throws<ArgumentException>(() => CamInference.Irn(net, image, nan))!.ParamName, Is.EqualTo("labels"));
        Assert.That(Assert.Throws<ArgumentException>(() => CamInference.Irn(net, image, CamFixture.Labels(), new[] { 1.0, 1e6 }))!.ParamName, Is.EqualTo("scales"));
        var gray = new ImageBuffer(75, 58, 1);
        Assert.That(Assert.Throws<ArgumentException>(() => CamInference.Irn(net, gray, CamFixture.Labels()))!.ParamName, Is.EqualTo("image"));
        // 0.1 x (58 x 75) is 6 x 8 pixels: below the network's stride.
        var tooSmall = Assert.Throws<ArgumentException>(() => CamInference.Irn(net, image, CamFixture.Labels(), new[] { 1.0, 0.1 }))!;
        Assert.That(tooSmall.ParamName, Is.EqualTo("image"));
        Assert.That(tooSmall.Message, Does.Contain("smaller than the network's minimum input 16x16"));
    }
}
