namespace Wsss.Core.Crf;

/// <summary>
/// One pairwise potential of a <see cref="DenseCrf"/>: its features (until the lattice is built), the
/// lattice, the per-pixel scales that fuse normalisation, α and a Potts weight, and the reusable
/// value buffers of the iteration.
/// </summary>
internal sealed class PairwiseTerm
{
    public PairwiseTerm(float[] features, int dimensions, LabelCompatibility compatibility, CrfNormalization normalization)
    {
        Features = features;
        Dimensions = dimensions;
        Compatibility = compatibility;
        Normalization = normalization;
    }

    public float[]? Features { get; private set; }

    public int Dimensions { get; }

    public LabelCompatibility Compatibility { get; }

    public CrfNormalization Normalization { get; }

    public PermutohedralLattice? Lattice { get; private set; }

    /// <summary>Per-pixel scale applied to Q before splatting (the normaliser, or 1).</summary>
    public float[] Pre { get; private set; } = [];

    /// <summary>Per-pixel scale applied after slicing: α · normaliser (· w for Potts).</summary>
    public float[] Post { get; private set; } = [];

    /// <summary>For non-Potts terms: −W as row-major Lp×Lp (diagonal or symmetrised matrix), padding zero.</summary>
    public float[]? NegMatrix { get; private set; }

    /// <summary>For diagonal terms: −v padded to Lp.</summary>
    public float[]? NegDiagonal { get; private set; }

    /// <summary>Per-partition splat buffers, (M+1)·Lp each; row 0 stays zero.</summary>
    public float[][] SplatBuffers { get; private set; } = [];

    /// <summary>Second blur buffer, (M+1)·Lp.</summary>
    public float[] BlurBuffer { get; private set; } = [];

    /// <summary>The buffer holding the blurred values after the last blur.</summary>
    public float[] Blurred { get; set; } = [];

    /// <summary>Builds the lattice and normalisers and allocates the iteration buffers.</summary>
    public void Build(int labels, int paddedLabels, int partitions)
    {
        if (Lattice is not null) return;
        var lattice = new PermutohedralLattice(Features!, Dimensions);
        int n = lattice.PointCount;
        var ones = new float[n];
        Array.Fill(ones, 1f);
        var k1 = new float[n];
        lattice.Filter(ones, k1, 1);
        float alpha = lattice.Alpha;
        var pre = new float[n];
        var post = new float[n];
        bool potts = Compatibility.IsPotts;
        float w = potts ? Compatibility.PottsWeight : 1f;
        for (int i = 0; i < n; i++)
        {
            float norm = Normalization == CrfNormalization.Symmetric
                ? (float)(1.0 / Math.Sqrt(k1[i] + 1e-20))
                : (float)(1.0 / (k1[i] + 1e-20));
            (float a, float b) = Normalization switch
            {
                CrfNormalization.Symmetric => (norm, norm),
                CrfNormalization.Before => (norm, 1f),
                CrfNormalization.After => (1f, norm),
                _ => (1f, 1f),
            };
            pre[i] = a;
            post[i] = w * (alpha * b);
        }

        if (Compatibility.DiagonalValues is { } diag)
        {
            var nd = new float[paddedLabels];
            for (int l = 0; l < labels; l++) nd[l] = -diag[l];
            NegDiagonal = nd;
        }
        else if (Compatibility.SymmetricMatrix is { } mat)
        {
            var nm = new float[paddedLabels * paddedLabels];
            for (int a = 0; a < labels; a++)
            {
                for (int b = 0; b < labels; b++) nm[a * paddedLabels + b] = -mat[a * labels + b];
            }

            NegMatrix = nm;
        }

        long rows = (long)lattice.VertexCount + 1;
        long size = rows * paddedLabels;
        if (size > Array.MaxLength)
            CrfThrowHelper.Argument("features", $"The lattice values need {size} floats, more than a .NET array holds.");
        var buffers = new float[partitions][];
        for (int p = 0; p < partitions; p++) buffers[p] = new float[size];
        SplatBuffers = buffers;
        BlurBuffer = new float[size];
        Pre = pre;
        Post = post;
        Lattice = lattice;
        Features = null;
    }
}
