using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Wsss.Core.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Wsss.Core.Crf;

/// <summary>
/// The fully connected CRF of Krähenbühl &amp; Koltun (2011) with mean-field inference on permutohedral
/// lattices, computing what pydensecrf / densecrf 2.2's <c>DenseCRF2D</c> computes.
/// </summary>
/// <remarks>
/// <para>Usage: create one per image, set the unary energies, add pairwise terms, call
/// <see cref="Inference"/>. Pixel n = y·W + x; features are x-first (x/sx, y/sy, channels/s...) as
/// <c>addPairwiseGaussian</c>/<c>addPairwiseBilateral</c>. Each iteration computes
/// Q = softmax(−U + Σ_k message_k); there is no damping and no self-edge exclusion, and every
/// <see cref="Inference"/> call restarts from softmax(−U), as the reference does.</para>
/// <para>Speed: the lattices are built on first use, each on all cores; an iteration is one splat pass (pixels
/// split over the cores into private buffers), a parallel blur, and one fused slice + unary + softmax pass.
/// Q and U are kept pixel-major with labels padded to a multiple of 8, in 64-byte-aligned buffers; the loop
/// allocates no large arrays. The last iteration of <see cref="Inference"/> writes Q label-major into Q's own array, and
/// the returned tensor is that array, not a copy (for few labels, whose padding would leave much of the array unused, Q
/// is copied into an array of exactly L·N values instead).</para>
/// <para>Instances are not thread-safe; refine different images on different instances.</para>
/// </remarks>
public sealed partial class DenseCrf
{
    private const int MinPixelsPerPartition = 8192;

    private readonly List<PairwiseTerm> _terms = [];
    private readonly int _lp;
    private CrfBuffer? _negUnary;     // N·Lp, padding lanes −1e30
    private TensorStorage? _qStorage; // Q: N·Lp rows from _qOffset (padding lanes 0), or L·N label-major from 0 once handed over
    private int _qOffset;             // first row's index: the array's first 64-byte boundary
    private bool _qLabelMajor;
    private bool _qShared;            // the tensor Inference returned holds _qStorage too: the next step writes elsewhere
    private QState _qState;
    private bool _disposed;
    private int _partitions;

    /// <summary>Creates a CRF over a <paramref name="width"/>×<paramref name="height"/> image with <paramref name="labels"/> labels.</summary>
    /// <param name="width">Image width W ≥ 1.</param>
    /// <param name="height">Image height H ≥ 1.</param>
    /// <param name="labels">Number of labels L ≥ 1.</param>
    /// <exception cref="ArgumentException">A size is not positive, or W·H·L is too large.</exception>
    public DenseCrf(int width, int height, int labels)
    {
        if (width < 1) CrfThrowHelper.OutOfRange(nameof(width), width, "The image is empty: width must be at least 1.");
        if (height < 1) CrfThrowHelper.OutOfRange(nameof(height), height, "The image is empty: height must be at least 1.");
        if (labels < 1) CrfThrowHelper.OutOfRange(nameof(labels), labels, "The CRF needs at least one label.");
        long n = (long)width * height;
        _lp = (labels + 7) & ~7;
        if (n * _lp > CrfBuffer.MaxLength || n * _lp + 16 > Array.MaxLength)
            CrfThrowHelper.Argument(nameof(width), string.Create(CultureInfo.InvariantCulture, $"A {width}x{height} image with {labels} labels needs {n * _lp} values per buffer, more than a .NET array holds."));
        Width = width;
        Height = height;
        Labels = labels;
        PixelCount = (int)n;
    }

    /// <summary>Image width W.</summary>
    public int Width { get; }

    /// <summary>Image height H.</summary>
    public int Height { get; }

    /// <summary>Number of labels L.</summary>
    public int Labels { get; }

    /// <summary>Number of pixels N = W·H.</summary>
    public int PixelCount { get; }

    /// <summary>Number of pairwise terms added so far.</summary>
    public int PairwiseTermCount => _terms.Count;

    /// <summary>Whether <see cref="StartInference"/> has run (so <see cref="StepInference"/> and <see cref="CurrentQ"/> may be used).</summary>
    public bool IsInferenceStarted => _qState != QState.None;

    // ---- unaries --------------------------------------------------------------------------------

    /// <summary>Sets the unary energies U (pydensecrf's <c>setUnaryEnergy</c>).</summary>
    /// <param name="unary">(L, H, W) or (L, N) finite energies; label-major as pydensecrf takes them.</param>
    /// <exception cref="ArgumentException">Wrong shape or non-finite values.</exception>
    public void SetUnaryEnergy(Tensor unary)
    {
        ArgumentNullException.ThrowIfNull(unary);
        ReadOnlySpan<int> s = unary.ShapeSpan;
        bool ok = (s.Length == 3 && s[0] == Labels && s[1] == Height && s[2] == Width)
               || (s.Length == 2 && s[0] == Labels && s[1] == PixelCount);
        if (!ok)
            CrfThrowHelper.Argument(nameof(unary), $"Expected unary energies of shape ({Labels}, {Height}, {Width}) or ({Labels}, {PixelCount}); got {Tensor.ShapeString(s)}.");
        SetUnaryEnergy(unary.Data);
    }

    /// <summary>Sets the unary energies U from L·N label-major values (row l holds label l for every pixel).</summary>
    /// <param name="unary">L·N finite energies.</param>
    /// <exception cref="ArgumentException">Wrong length or non-finite values.</exception>
    public void SetUnaryEnergy(ReadOnlySpan<float> unary)
    {
        int n = PixelCount, l = Labels, lp = _lp;
        if (unary.Length != (long)n * l)
            CrfThrowHelper.Argument(nameof(unary), string.Create(CultureInfo.InvariantCulture, $"Expected {(long)n * l} unary energies ({l} labels x {n} pixels); got {unary.Length}."));
        if (CrfThrowHelper.FirstNonFinite(unary) is var bad and >= 0)
            CrfThrowHelper.Argument(nameof(unary), string.Create(CultureInfo.InvariantCulture, $"Unary energy of label {bad / n} at pixel {bad % n} is not finite ({unary[bad]})."));
        ThrowIfDisposed();
        var neg = _negUnary ?? CrfBuffer.Rent((long)n * lp);
        const int block = 256; // transpose and negate in pixel blocks so both stay in cache
        ref float src = ref MemoryMarshal.GetReference(unary);
        ref float dst = ref neg.Ref;
        for (int i0 = 0; i0 < n; i0 += block)
        {
            // Padding +1e30 negates to the −1e30 the padding lanes of −U hold.
            int i1 = Math.Min(n, i0 + block);
            CrfTranspose.ToRows(ref src, n, l, ref dst, lp, i0, i1, -PadEnergy);
            Span<float> rows = neg.Slice((long)i0 * lp, (i1 - i0) * lp);
            TensorPrimitives.Negate(rows, rows);
        }

        _negUnary = neg;
        _qState = QState.None;
    }

    /// <summary>Sets U = −log(clip(P)) from class probabilities, as pydensecrf's <c>unary_from_softmax</c>.</summary>
    /// <param name="probabilities">(L, H, W) non-negative finite probabilities.</param>
    /// <param name="scale">Optional confidence scale in (0, 1] (P ← scale·P + (1 − scale)/L).</param>
    /// <param name="clip">Lower clip (1e-5 as the reference).</param>
    public void SetUnaryFromProbabilities(Tensor probabilities, float? scale = null, float clip = CrfUnary.DefaultClip)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        CheckLabelMap(probabilities, nameof(probabilities));
        if (scale is null && clip > 0f && clip <= 1f && TrySetNegUnaryFromProbabilities(probabilities.Data, clip)) return;
        SetUnaryEnergy(CrfUnary.FromSoftmax(probabilities, scale, clip).Data);
    }

    /// <summary>
    /// rows ← log(clamp(rows, clip, 1)) in one pass, the padding lanes (labels ≥ <paramref name="l"/>) set to
    /// <see cref="PadEnergy"/>; false when a value is negative, NaN or +∞ (the rows are then garbage).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool LogRows(Span<float> rows, int l, int lp, float clip)
    {
        if (!Vector256.IsHardwareAccelerated)
        {
            // Min is NaN when any value is NaN, so this also catches NaN.
            if (!(TensorPrimitives.Min(rows) >= 0f) || TensorPrimitives.Max(rows) == float.PositiveInfinity) return false;
            CrfVectorMath.NegLogClamped(rows, rows, clip);
            TensorPrimitives.Negate(rows, rows);
            for (int i = 0; i < rows.Length; i += lp) rows.Slice(i + l, lp - l).Fill(PadEnergy);
            return true;
        }

        ref float r0 = ref MemoryMarshal.GetReference(rows);
        var lo = Vector256.Create(clip);
        var inf = Vector256.Create(float.PositiveInfinity);
        var zero = Vector256<float>.Zero;
        var pad = Vector256.Create(PadEnergy);
        // Lanes of the row's last vector that are padding.
        var padLanes = Vector256.GreaterThanOrEqual(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) + Vector256.Create(lp - 8), Vector256.Create(l)).AsSingle();
        var bad = Vector256<float>.Zero;
        for (int i = 0; i < rows.Length; i += lp)
        {
            ref float row = ref Unsafe.Add(ref r0, i);
            for (int c = 0; c < lp; c += 8)
            {
                var v = Vector256.LoadUnsafe(ref row, (nuint)c);
                // !(v >= 0) is also true for NaN.
                bad |= ~Vector256.GreaterThanOrEqual(v, zero) | Vector256.Equals(v, inf);
                var y = CrfVectorMath.Log(Vector256.MinNative(Vector256.MaxNative(v, lo), Vector256<float>.One));
                if (c == lp - 8) y = Vector256.ConditionalSelect(padLanes, pad, y);
                Vector256.StoreUnsafe(y, ref row, (nuint)c);
            }
        }

        return bad.AsInt32() == Vector256<int>.Zero;
    }

    /// <summary>
    /// −U = log(clip(P)) written straight into the padded pixel-major buffer, in parallel pixel blocks (the
    /// same values as <see cref="CrfUnary.FromSoftmax"/> then <see cref="SetUnaryEnergy(ReadOnlySpan{float})"/>).
    /// Returns false, leaving the caller to report it, when a probability is negative or not finite.
    /// </summary>
    private bool TrySetNegUnaryFromProbabilities(ReadOnlySpan<float> probabilities, float clip)
    {
        int n = PixelCount, l = Labels, lp = _lp;
        ThrowIfDisposed();
        var neg = _negUnary ?? CrfBuffer.Rent((long)n * lp);
        const int block = 256;
        int blocks = (n + block - 1) / block;
        int bad = 0;
        unsafe
        {
            fixed (float* pp = probabilities)
            {
                float* src0 = pp;
                void Body(int b)
                {
                    int i0 = b * block, i1 = Math.Min(n, i0 + block);
                    // Transpose first (padding 1, a valid probability), then check, clip and log the contiguous rows.
                    CrfTranspose.ToRows(ref *src0, n, l, ref neg.Ref, lp, i0, i1, 1f);
                    Span<float> rows = neg.Slice((long)i0 * lp, (i1 - i0) * lp);
                    if (!LogRows(rows, l, lp, clip)) bad = 1;
                }

                if (blocks < 4 || Parallelism.MaxDegreeOfParallelism == 1)
                    for (int b = 0; b < blocks; b++) Body(b);
                else
                    Parallel.For(0, blocks, Parallelism.Options, Body);
            }
        }

        if (bad != 0)
        {
            // A reused buffer is partly overwritten: drop it, so the CRF reports a missing unary rather than using it.
            CrfBuffer.Return(neg);
            _negUnary = null;
            _qState = QState.None;
            return false;
        }

        _negUnary = neg;
        _qState = QState.None;
        return true;
    }

    // ---- pairwise terms -------------------------------------------------------------------------

    /// <summary>
    /// Adds the smoothness kernel exp(−|p_i − p_j|²/2σ²) with features (x/sx, y/sy) (<c>addPairwiseGaussian</c>).
    /// </summary>
    /// <param name="sx">Horizontal standard deviation (pixels, &gt; 0).</param>
    /// <param name="sy">Vertical standard deviation (pixels, &gt; 0).</param>
    /// <param name="compatibility">Label compatibility (a number converts to Potts).</param>
    /// <param name="normalization">Kernel normalisation.</param>
    public void AddPairwiseGaussian(float sx, float sy, LabelCompatibility compatibility, CrfNormalization normalization = CrfNormalization.Symmetric)
    {
        CrfThrowHelper.CheckStdDev(sx, nameof(sx));
        CrfThrowHelper.CheckStdDev(sy, nameof(sy));
        AddTerm(new LatticeFeatures.Image(Width, Height, sx, sy, null, null, []), compatibility, normalization);
    }

    /// <summary>Adds the smoothness kernel with one standard deviation for x and y and a Potts weight.</summary>
    /// <param name="sxy">Spatial standard deviation (pixels, &gt; 0).</param>
    /// <param name="compat">Potts weight.</param>
    public void AddPairwiseGaussian(float sxy, float compat) => AddPairwiseGaussian(sxy, sxy, LabelCompatibility.Potts(compat));

    /// <summary>
    /// Adds the appearance kernel with features (x/sx, y/sy, c_0/s_0, ..., c_{C−1}/s_{C−1}) (<c>addPairwiseBilateral</c>),
    /// for any number of channels C in the caller's channel order.
    /// </summary>
    /// <param name="sx">Horizontal standard deviation (pixels, &gt; 0).</param>
    /// <param name="sy">Vertical standard deviation (pixels, &gt; 0).</param>
    /// <param name="colorStdDevs">One standard deviation per channel (&gt; 0), or a single one for all.</param>
    /// <param name="image">H·W·C bytes, interleaved (H, W, C) as a NumPy uint8 image.</param>
    /// <param name="channels">C ≥ 1.</param>
    /// <param name="compatibility">Label compatibility (a number converts to Potts).</param>
    /// <param name="normalization">Kernel normalisation.</param>
    public void AddPairwiseBilateral(float sx, float sy, ReadOnlySpan<float> colorStdDevs, ReadOnlySpan<byte> image, int channels,
        LabelCompatibility compatibility, CrfNormalization normalization = CrfNormalization.Symmetric)
    {
        CrfThrowHelper.CheckStdDev(sx, nameof(sx));
        CrfThrowHelper.CheckStdDev(sy, nameof(sy));
        if (channels < 1) CrfThrowHelper.OutOfRange(nameof(channels), channels, "The image needs at least one channel.");
        if (image.Length != (long)PixelCount * channels)
            CrfThrowHelper.Argument(nameof(image), string.Create(CultureInfo.InvariantCulture, $"Expected a ({Height}, {Width}, {channels}) image = {(long)PixelCount * channels} bytes; got {image.Length}."));
        float[] sc = ColorStdDevs(colorStdDevs, channels);
        AddTerm(new LatticeFeatures.Image(Width, Height, sx, sy, image.ToArray(), null, sc), compatibility, normalization);
    }

    /// <summary>Adds the appearance kernel for an interleaved (H, W, C) byte image with scalar standard deviations and a Potts weight.</summary>
    /// <param name="sxy">Spatial standard deviation (pixels, &gt; 0).</param>
    /// <param name="srgb">Colour standard deviation for every channel (&gt; 0).</param>
    /// <param name="image">H·W·C bytes, interleaved.</param>
    /// <param name="channels">C ≥ 1 (3 for RGB).</param>
    /// <param name="compat">Potts weight.</param>
    public void AddPairwiseBilateral(float sxy, float srgb, ReadOnlySpan<byte> image, int channels, float compat)
        => AddPairwiseBilateral(sxy, sxy, [srgb], image, channels, LabelCompatibility.Potts(compat));

    /// <summary>
    /// Adds the appearance kernel for an image tensor of shape (C, H, W) (the library's channel-first layout),
    /// whose values are in the units of the colour standard deviations (0..255 for 8-bit images).
    /// </summary>
    /// <param name="sx">Horizontal standard deviation (pixels, &gt; 0).</param>
    /// <param name="sy">Vertical standard deviation (pixels, &gt; 0).</param>
    /// <param name="colorStdDevs">One standard deviation per channel (&gt; 0), or a single one for all.</param>
    /// <param name="image">(C, H, W) finite values.</param>
    /// <param name="compatibility">Label compatibility (a number converts to Potts).</param>
    /// <param name="normalization">Kernel normalisation.</param>
    public void AddPairwiseBilateral(float sx, float sy, ReadOnlySpan<float> colorStdDevs, Tensor image,
        LabelCompatibility compatibility, CrfNormalization normalization = CrfNormalization.Symmetric)
    {
        ArgumentNullException.ThrowIfNull(image);
        CrfThrowHelper.CheckStdDev(sx, nameof(sx));
        CrfThrowHelper.CheckStdDev(sy, nameof(sy));
        ReadOnlySpan<int> s = image.ShapeSpan;
        if (s.Length != 3 || s[1] != Height || s[2] != Width || s[0] < 1)
            CrfThrowHelper.Argument(nameof(image), $"Expected an image of shape (C, {Height}, {Width}); got {Tensor.ShapeString(s)}.");
        ReadOnlySpan<float> data = image.Data;
        if (CrfThrowHelper.FirstNonFinite(data) is var bad and >= 0)
            CrfThrowHelper.Argument(nameof(image), string.Create(CultureInfo.InvariantCulture, $"Image value {bad} is not finite."));
        float[] sc = ColorStdDevs(colorStdDevs, s[0]);
        AddTerm(new LatticeFeatures.Image(Width, Height, sx, sy, null, data.ToArray(), sc), compatibility, normalization);
    }

    /// <summary>
    /// Adds a pairwise term on custom per-pixel features (pydensecrf's <c>addPairwiseEnergy</c>): the kernel is
    /// exp(−½‖f_i − f_j‖²), so divide each feature by its standard deviation first. Feature order matters
    /// (the lattice is not invariant to permuting dimensions).
    /// </summary>
    /// <param name="features">(D, H, W) or (D, N) finite features, feature-major as pydensecrf takes them.</param>
    /// <param name="compatibility">Label compatibility (a number converts to Potts).</param>
    /// <param name="normalization">Kernel normalisation.</param>
    public void AddPairwiseEnergy(Tensor features, LabelCompatibility compatibility, CrfNormalization normalization = CrfNormalization.Symmetric)
    {
        ArgumentNullException.ThrowIfNull(features);
        ReadOnlySpan<int> s = features.ShapeSpan;
        bool ok = (s.Length == 3 && s[1] == Height && s[2] == Width) || (s.Length == 2 && s[1] == PixelCount);
        if (!ok || s[0] < 1)
            CrfThrowHelper.Argument(nameof(features), $"Expected features of shape (D, {Height}, {Width}) or (D, {PixelCount}); got {Tensor.ShapeString(s)}.");
        ReadOnlySpan<float> data = features.Data;
        if (CrfThrowHelper.FirstNonFinite(data) is var bad and >= 0)
            CrfThrowHelper.Argument(nameof(features), string.Create(CultureInfo.InvariantCulture, $"Feature value {bad} is not finite."));
        int d = s[0], n = PixelCount;
        var f = new float[(long)n * d];
        for (int k = 0; k < d; k++)
        {
            for (int i = 0; i < n; i++) f[i * d + k] = data[k * n + i];
        }

        AddTerm(new LatticeFeatures.Points(f, d), compatibility, normalization);
    }

    private void AddTerm(LatticeFeatures features, LabelCompatibility compatibility, CrfNormalization normalization)
    {
        ArgumentNullException.ThrowIfNull(compatibility);
        if (!Enum.IsDefined(normalization)) CrfThrowHelper.OutOfRange(nameof(normalization), normalization, "Unknown normalisation mode.");
        if (!compatibility.IsPotts && compatibility.Labels != Labels)
            CrfThrowHelper.Argument(nameof(compatibility), $"The compatibility is defined for {compatibility.Labels} labels but the CRF has {Labels}.");
        ThrowIfDisposed();
        _terms.Add(new PairwiseTerm(features, compatibility, normalization));
        _qState = QState.None;
    }

    private static float[] ColorStdDevs(ReadOnlySpan<float> values, int channels)
    {
        if (values.Length != 1 && values.Length != channels)
            CrfThrowHelper.Argument("colorStdDevs", $"Expected 1 or {channels} colour standard deviations; got {values.Length}.");
        var sc = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            sc[c] = values.Length == 1 ? values[0] : values[c];
            CrfThrowHelper.CheckStdDev(sc[c], "colorStdDevs");
        }

        return sc;
    }

    internal void CheckLabelMap(Tensor t, string argName)
    {
        ReadOnlySpan<int> s = t.ShapeSpan;
        if (s.Length != 3 || s[0] != Labels || s[1] != Height || s[2] != Width)
            CrfThrowHelper.Argument(argName, $"Expected shape ({Labels}, {Height}, {Width}); got {Tensor.ShapeString(s)}.");
    }
}
