using Wsss.Core.Imaging;
using Wsss.Core.Imaging.Resampling;
using Wsss.Core.Nn;
using Wsss.Core.Tensors;

namespace Wsss.Core.Cam;

/// <summary>
/// Multi-scale CAM inference exactly as the references compute it: IRNet's <c>make_cam</c> (strided and
/// high-resolution CAMs) and psa's <c>infer_cls.py</c>. Each scale is the image resized with PIL's bicubic filter
/// (sizes rounded half to even), normalised with the ImageNet mean and deviation, and run with its horizontal flip.
/// </summary>
public static class CamInference
{
    /// <summary>The references' scales: 1.0, 0.5, 1.5, 2.0.</summary>
    public static IReadOnlyList<double> DefaultScales { get; } = Array.AsReadOnly(new[] { 1.0, 0.5, 1.5, 2.0 });

    /// <summary>The largest side a rescaled image may have.</summary>
    public const int MaxScaledSide = 1 << 15;

    /// <summary>IRNet's constant added before each per-class maximum division.</summary>
    public const float NormalizationEpsilon = 1e-5f;

    /// <summary>
    /// IRNet's <c>make_cam</c> for one image: per scale s, cam_s = relu(W·f(img_s)) + flip(relu(W·f(flip(img_s))));
    /// strided = Σ_s bilinear(cam_s → ((H−1)/4+1, (W−1)/4+1)); high-res = Σ_s bilinear(cam_s → sizes rounded up to a
    /// multiple of 16) cropped to H×W; then the present classes only, each divided by its maximum + 1e-5.
    /// </summary>
    /// <param name="model">The CAM network (evaluation mode is the caller's choice; IRNet's BatchNorm is frozen anyway).</param>
    /// <param name="image">The RGB image.</param>
    /// <param name="labels">Multi-hot image labels, one per class of <paramref name="model"/>; classes with a value &gt; 1e-5 are kept (IRNet keeps the non-zero ones: the same for 0/1 labels).</param>
    /// <param name="scales">Scales (default <see cref="DefaultScales"/>).</param>
    /// <param name="flip">Also run each scale's horizontal flip (the references do).</param>
    public static IrnCamResult Irn(ICamModel model, ImageBuffer image, ReadOnlySpan<float> labels, IReadOnlyList<double>? scales = null, bool flip = true)
    {
        scales ??= DefaultScales;
        var keys = Validate(model, image, labels, scales);
        int h = image.Height, w = image.Width;
        var strided = ((h - 1) / 4 + 1, (w - 1) / 4 + 1);
        var up = (((h - 1) / 16 + 1) * 16, ((w - 1) / 16 + 1) * 16);
        using var noGrad = Autograd.NoGrad();
        using var scope = TensorScope.Begin();
        int c = model.NumClasses;
        var stridedSum = Tensor.Zeros(1, c, strided.Item1, strided.Item2);
        var highSum = Tensor.Zeros(1, c, up.Item1, up.Item2);
        foreach (double s in scales)
        {
            // One scope per scale: the network's activations go back to the pool before the next scale runs.
            using var inner = TensorScope.Begin();
            var cam = ScaleCam(model, image, s, flip);                                           // (1, C, h_s, w_s)
            AddInPlace(stridedSum, Functional.Interpolate(cam, size: strided, mode: InterpolateMode.Bilinear, alignCorners: false));
            AddInPlace(highSum, Functional.Interpolate(cam, size: up, mode: InterpolateMode.Bilinear, alignCorners: false));
        }
        var sKeep = NormalizeByMax(SelectClasses(stridedSum, keys));
        var hKeep = NormalizeByMax(SelectClasses(highSum.Slice(2, 0, h).Slice(3, 0, w), keys));
        return new IrnCamResult(keys, scope.Keep(sKeep), scope.Keep(hKeep));
    }

    /// <summary>sum += term, element-wise in place (the sums start at zero, so the first addition is exact).</summary>
    private static void AddInPlace(Tensor sum, Tensor term)
    {
        if (!sum.ShapeSpan.SequenceEqual(term.ShapeSpan))
            throw new ArgumentException($"the model's CAMs have shape {Tensor.ShapeString(term.ShapeSpan)}, expected {Tensor.ShapeString(sum.ShapeSpan)} (NumClasses per image)", "model");
        System.Numerics.Tensors.TensorPrimitives.Add(sum.Data, term.Data, sum.Data);
    }

    /// <summary>
    /// psa's <c>infer_cls.py</c> for one image: per scale and flip, relu(W·f(img)) bilinearly resized to H×W, multiplied
    /// by the label mask and flipped back; the sum over all of them, each class divided by its maximum + 1e-5; the
    /// present classes only.
    /// </summary>
    /// <param name="model">The CAM network.</param>
    /// <param name="image">The RGB image.</param>
    /// <param name="labels">Multi-hot image labels; classes with a value &gt; 1e-5 are kept (psa's test).</param>
    /// <param name="scales">Scales (default <see cref="DefaultScales"/>).</param>
    /// <param name="flip">Also run each scale's horizontal flip.</param>
    public static PsaCamResult Psa(ICamModel model, ImageBuffer image, ReadOnlySpan<float> labels, IReadOnlyList<double>? scales = null, bool flip = true)
    {
        scales ??= DefaultScales;
        var keys = Validate(model, image, labels, scales);
        int h = image.Height, w = image.Width;
        using var noGrad = Autograd.NoGrad();
        using var scope = TensorScope.Begin();
        var sum = Tensor.Zeros(1, model.NumClasses, h, w);
        foreach (double s in scales)
        {
            // One scope per scale: the rescaled image serves both passes, and every activation goes back to the pool.
            using var inner = TensorScope.Begin();
            var img = ScaledInput(image, s);
            foreach (bool flipped in flip ? new[] { false, true } : new[] { false })
            {
                var cam = Functional.Interpolate(model.ForwardCams(flipped ? img.Flip(3) : img), size: (h, w), mode: InterpolateMode.Bilinear, alignCorners: false);
                AddInPlace(sum, flipped ? cam.Flip(3) : cam);
            }
        }
        // psa multiplies each map by the label mask before summing; masking the sum is the same (absent classes are 0).
        var kept = NormalizeByMax(SelectClasses(sum, keys));
        return new PsaCamResult(keys, scope.Keep(kept));
    }

    /// <summary>One scale's fused CAM (1, C, h_s, w_s): cam(img) + flip(cam(flip(img))), as IRNet's <c>CAM.forward</c>.</summary>
    private static Tensor ScaleCam(ICamModel model, ImageBuffer image, double scale, bool flip)
    {
        var img = ScaledInput(image, scale);
        if (!flip) return model.ForwardCams(img);
        var cams = model.ForwardCams(Tensor.Cat(new[] { img, img.Flip(3) }, 0));   // (2, C, h, w)
        return cams.Narrow(0, 0, 1) + cams.Narrow(0, 1, 1).Flip(3);
    }

    /// <summary>The image at <paramref name="scale"/> (PIL bicubic; unchanged at 1.0), normalised, as (1, 3, h, w).</summary>
    private static Tensor ScaledInput(ImageBuffer image, double scale)
    {
        var (sh, sw) = PilResampler.RescaledSize(image.Height, image.Width, scale); // Validate checked every scale's size
        var scaled = sh == image.Height && sw == image.Width
            ? image
            : new ImageBuffer(sw, sh, 3, PilResampler.Resize(image.Pixels, image.Width, image.Height, 3, sw, sh, PilFilter.Bicubic));
        return scaled.ToNormalizedTensor(ImageBuffer.ImageNetMean, ImageBuffer.ImageNetStd).Unsqueeze(0);
    }

    private static int[] Validate(ICamModel model, ImageBuffer image, ReadOnlySpan<float> labels, IReadOnlyList<double> scales)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(image);
        if (image.Channels != 3) throw new ArgumentException($"CAM inference needs an RGB image, got {image.Channels} channels", nameof(image));
        if (labels.Length != model.NumClasses)
            throw new ArgumentException($"expected {model.NumClasses} labels (one per class of the model), got {labels.Length}", nameof(labels));
        if (scales.Count == 0) throw new ArgumentException("at least one scale is needed", nameof(scales));
        foreach (double s in scales)
        {
            if (!(s > 0) || double.IsInfinity(s)) throw new ArgumentException($"scales must be positive and finite, got {s}", nameof(scales));
            if (s * Math.Max(image.Width, image.Height) > MaxScaledSide)
                throw new ArgumentException($"scale {s} would make the {image.Width}x{image.Height} image more than {MaxScaledSide} pixels wide or high", nameof(scales));
            var (sh, sw) = PilResampler.RescaledSize(image.Height, image.Width, s);
            if (sh < model.MinInputSize || sw < model.MinInputSize)
                throw new ArgumentException($"at scale {s} the {image.Width}x{image.Height} image becomes {sw}x{sh}, smaller than the network's minimum input {model.MinInputSize}x{model.MinInputSize}", nameof(image));
        }
        var keys = new List<int>();
        for (int c = 0; c < labels.Length; c++)
        {
            if (float.IsNaN(labels[c])) throw new ArgumentException($"label {c} is NaN", nameof(labels));
            if (labels[c] > NormalizationEpsilon) keys.Add(c);
        }
        return keys.ToArray();
    }

    /// <summary>(1, C, h, w) → (K, h, w) for the classes in <paramref name="keys"/>.</summary>
    private static Tensor SelectClasses(Tensor cams, int[] keys)
    {
        int h = cams.Size(2), w = cams.Size(3);
        var src = cams.Reshape(cams.Size(1), h, w);
        var result = Tensor.Zeros(keys.Length, h, w);
        var s = src.Data;
        var d = result.Data;
        for (int k = 0; k < keys.Length; k++) s.Slice(keys[k] * h * w, h * w).CopyTo(d.Slice(k * h * w, h * w));
        return result;
    }

    /// <summary>Each (h, w) plane divided by its maximum + 1e-5 (the references' <c>adaptive_max_pool2d</c> + 1e-5).</summary>
    private static Tensor NormalizeByMax(Tensor cams)
    {
        int k = cams.Size(0), hw = cams.Size(1) * cams.Size(2);
        var d = cams.Data;
        for (int c = 0; c < k; c++)
        {
            var plane = d.Slice(c * hw, hw);
            float max = float.NegativeInfinity;
            foreach (float v in plane) max = MathF.Max(max, v);
            float div = max + NormalizationEpsilon;
            for (int i = 0; i < plane.Length; i++) plane[i] /= div;
        }
        return cams;
    }
}
