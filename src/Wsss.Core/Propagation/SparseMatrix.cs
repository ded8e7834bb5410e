using Wsss.Core.Tensors;

namespace Wsss.Core.Propagation;

/// <summary>
/// A float32 sparse matrix in compressed sparse row (CSR) storage.
/// </summary>
/// <remarks>
/// Invariants: <see cref="RowPointers"/> has <see cref="Rows"/> + 1 entries, starts at 0, never decreases and ends at
/// the number of stored entries; the entries of row i are at positions [RowPointers[i], RowPointers[i + 1]) of
/// <see cref="ColumnIndices"/> and <see cref="Values"/>, with column indices strictly increasing inside a row and
/// each in [0, <see cref="Columns"/>). Entries not stored are zero; stored entries may be zero.
/// </remarks>
public sealed class SparseMatrix
{
    /// <summary>Wraps CSR arrays after checking the invariants.</summary>
    /// <param name="rows">Row count.</param>
    /// <param name="columns">Column count.</param>
    /// <param name="rowPointers">Row starts, length rows + 1.</param>
    /// <param name="columnIndices">Column of each stored entry.</param>
    /// <param name="values">Value of each stored entry.</param>
    /// <exception cref="ArgumentException">An invariant does not hold (the message names the array).</exception>
    public SparseMatrix(int rows, int columns, int[] rowPointers, int[] columnIndices, float[] values)
    {
        ArgumentNullException.ThrowIfNull(rowPointers);
        ArgumentNullException.ThrowIfNull(columnIndices);
        ArgumentNullException.ThrowIfNull(values);
        if (rows < 0) ThrowHelper.ArgumentOutOfRange(nameof(rows), rows, "expected a non-negative row count");
        if (columns < 0) ThrowHelper.ArgumentOutOfRange(nameof(columns), columns, "expected a non-negative column count");
        if (rowPointers.Length != rows + 1 || rowPointers[0] != 0 || rowPointers[rows] != columnIndices.Length)
            ThrowHelper.Argument(nameof(rowPointers), $"SparseMatrix: expected {rows + 1} row pointers from 0 to {columnIndices.Length}");
        if (values.Length != columnIndices.Length)
            ThrowHelper.Argument(nameof(values), $"SparseMatrix: expected {columnIndices.Length} values, got {values.Length}");
        for (int i = 0; i < rows; i++)
        {
            if (rowPointers[i + 1] < rowPointers[i])
                ThrowHelper.Argument(nameof(rowPointers), $"SparseMatrix: row pointers decrease at row {i}");
            for (int k = rowPointers[i]; k < rowPointers[i + 1]; k++)
                if ((uint)columnIndices[k] >= (uint)columns || (k > rowPointers[i] && columnIndices[k] <= columnIndices[k - 1]))
                    ThrowHelper.Argument(nameof(columnIndices), $"SparseMatrix: column indices of row {i} must increase strictly inside [0, {columns})");
        }
        Rows = rows;
        Columns = columns;
        RowPointers = rowPointers;
        ColumnIndices = columnIndices;
        Values = values;
    }

    /// <summary>Row count.</summary>
    public int Rows { get; }

    /// <summary>Column count.</summary>
    public int Columns { get; }

    /// <summary>Start of each row's entries, length <see cref="Rows"/> + 1 (the last is the entry count).</summary>
    public int[] RowPointers { get; }

    /// <summary>Column index of each stored entry, increasing within a row.</summary>
    public int[] ColumnIndices { get; }

    /// <summary>Value of each stored entry.</summary>
    public float[] Values { get; }

    /// <summary>Number of stored entries.</summary>
    public int NonZeroCount => Values.Length;

    /// <summary>The dense (Rows, Columns) matrix; for small sizes (tests, checks).</summary>
    public Tensor ToDense()
    {
        var t = Tensor.Zeros(Rows, Columns);
        var d = t.Data;
        for (int i = 0; i < Rows; i++)
            for (int k = RowPointers[i]; k < RowPointers[i + 1]; k++)
                d[i * Columns + ColumnIndices[k]] = Values[k];
        return t;
    }
}
