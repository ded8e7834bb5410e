namespace Wsss.Core.Imaging.Jpeg;

/// <summary>One image component of a frame (T.81 B.2.2) with its quantised coefficients.</summary>
internal sealed class JpegComponent
{
    public int Id;
    public int H;
    public int V;
    public int QuantTable;

    /// <summary>Samples per line and lines of the (down-sampled) component: ⌈X·H/Hmax⌉, ⌈Y·V/Vmax⌉ (A.1.1).</summary>
    public int Width;
    public int Height;

    /// <summary>Blocks per line / column allocated (whole MCUs, so interleaved scans never index outside).</summary>
    public int BlocksPerLine;
    public int BlocksPerColumn;

    /// <summary>Blocks per line / column that carry image data (the extent of a non-interleaved scan).</summary>
    public int DataBlocksPerLine;
    public int DataBlocksPerColumn;

    /// <summary>Coefficients, 64 per block, natural order, blocks row-major.</summary>
    public short[] Coefficients = [];

    /// <summary>Quantization table latched at the component's first scan (natural order).</summary>
    public ushort[]? Quant;

    public int DcPredictor;
    public JpegHuffmanTable? DcTable;
    public JpegHuffmanTable? AcTable;
}
