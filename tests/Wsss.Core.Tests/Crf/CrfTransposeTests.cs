using System.Runtime.InteropServices;
using Wsss.Core.Crf;

namespace Wsss.Core.Tests.Crf;

/// <summary>The label-major ↔ pixel-row transposition behind the unaries and the returned marginals.</summary>
public class CrfTransposeTests
{
    [TestCase(1, 8, 0, 8)]
    [TestCase(5, 8, 3, 37)]
    [TestCase(8, 8, 0, 64)]
    [TestCase(13, 16, 8, 41)]
    [TestCase(21, 24, 1, 100)]
    [TestCase(24, 24, 16, 33)]
    public void ToRowsAndBackMoveEveryValueAndOnlyTheRange(int labels, int lp, int i0, int i1)
    {
        const int n = 101;
        var labelMajor = new float[labels * n];
        for (int k = 0; k < labels; k++)
        {
            for (int i = 0; i < n; i++) labelMajor[k * n + i] = k * 1000 + i;
        }

        var rows = new float[n * lp];
        Array.Fill(rows, -7f);
        CrfTranspose.ToRows(ref MemoryMarshal.GetArrayDataReference(labelMajor), n, labels, ref MemoryMarshal.GetArrayDataReference(rows), lp, i0, i1, 0.5f);
        for (int i = 0; i < n; i++)
        {
            for (int k = 0; k < lp; k++)
            {
                float expected = i < i0 || i >= i1 ? -7f : k < labels ? k * 1000 + i : 0.5f;
                Assert.That(rows[i * lp + k], Is.EqualTo(expected), $"pixel {i} lane {k}");
            }
        }

        var back = new float[labels * n];
        Array.Fill(back, -3f);
        CrfTranspose.ToLabelMajor(ref MemoryMarshal.GetArrayDataReference(rows), lp, ref MemoryMarshal.GetArrayDataReference(back), n, labels, i0, i1);
        for (int k = 0; k < labels; k++)
        {
            for (int i = 0; i < n; i++)
                Assert.That(back[k * n + i], Is.EqualTo(i < i0 || i >= i1 ? -3f : labelMajor[k * n + i]), $"label {k} pixel {i}");
        }
    }
}
