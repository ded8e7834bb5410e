using System.Globalization;
using System.Text;

namespace Wsss.Core.IO;

/// <summary>
/// The parsed header dictionary of a <c>.npy</c> file, e.g.
/// <c>{'descr': '&lt;f4', 'fortran_order': False, 'shape': (3, 4), }</c>.
/// </summary>
/// <remarks>
/// Parses the Python-literal subset NumPy writes (a dict of str keys to str, bool, int and tuple
/// values), tolerating any key order, extra whitespace, either quote style, trailing commas and
/// Python 2 <c>L</c> suffixes on integers.
/// </remarks>
internal sealed class NpyHeader
{
    private const string Kind = ".npy";
    private const int MaxDepth = 8;

    private readonly string _text;
    private readonly string? _name;
    private int _pos;

    private NpyHeader(string text, string? name)
    {
        _text = text;
        _name = name;
    }

    /// <summary>The dtype descriptor string, e.g. <c>&lt;f4</c>.</summary>
    internal string Descr { get; private set; } = "";

    /// <summary>Value of <c>fortran_order</c>.</summary>
    internal bool FortranOrder { get; private set; }

    /// <summary>The dimensions.</summary>
    internal int[] Shape { get; private set; } = [];

    /// <summary>Parses <paramref name="text"/>; throws <see cref="InvalidDataException"/> on any defect.</summary>
    internal static NpyHeader Parse(string text, string? name)
    {
        var header = new NpyHeader(text, name);
        header.ParseTopLevel();
        return header;
    }

    /// <summary>Formats the header dictionary the way NumPy does (without padding).</summary>
    internal static string Format(string descr, IReadOnlyList<int> shape) =>
        $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {IoThrowHelper.FormatShape(shape)}, }}";

    private void ParseTopLevel()
    {
        SkipWhitespace();
        if (Peek() != '{')
        {
            Fail($"expected the header to start with '{{', found {DescribeChar()}");
        }

        if (ParseValue(0) is not Dictionary<string, object> dict)
        {
            Fail("expected a dictionary");
            return;
        }

        SkipWhitespace();
        if (_pos != _text.Length)
        {
            Fail($"unexpected {DescribeChar()} after the header dictionary at offset {_pos}");
        }

        foreach (string key in dict.Keys)
        {
            if (key is not ("descr" or "fortran_order" or "shape"))
            {
                Fail($"unexpected key '{key}' (expected 'descr', 'fortran_order' and 'shape')");
            }
        }

        object descr = Require(dict, "descr");
        if (descr is List<object>)
        {
            Fail("structured dtypes (a list-valued 'descr') are not supported");
        }

        Descr = descr as string ?? Fail<string>($"'descr' must be a string, found {Show(descr)}");
        FortranOrder = Require(dict, "fortran_order") as bool?
            ?? Fail<bool>($"'fortran_order' must be True or False, found {Show(dict["fortran_order"])}");

        if (Require(dict, "shape") is not List<object> dims)
        {
            Fail($"'shape' must be a tuple of integers, found {Show(dict["shape"])}");
            return;
        }

        var shape = new int[dims.Count];
        for (int i = 0; i < dims.Count; i++)
        {
            if (dims[i] is not long dim)
            {
                Fail($"'shape' entry {i} must be an integer, found {Show(dims[i])}");
                return;
            }

            if (dim is < 0 or > int.MaxValue)
            {
                Fail($"'shape' entry {i} is {dim}; expected 0 to {int.MaxValue}");
            }

            shape[i] = (int)dim;
        }

        Shape = shape;
    }

    private object Require(Dictionary<string, object> dict, string key) =>
        dict.TryGetValue(key, out object? value) ? value : Fail<object>($"the header has no '{key}' key");

    private object ParseValue(int depth)
    {
        if (depth > MaxDepth)
        {
            Fail($"values nested deeper than {MaxDepth} levels");
        }

        SkipWhitespace();
        char c = Peek();
        switch (c)
        {
            case '{':
                return ParseDict(depth);
            case '(':
                return ParseSequence(depth, ')');
            case '[':
                return ParseSequence(depth, ']');
            case '\'':
            case '"':
                return ParseString();
            default:
                if (c is '-' or '+' || char.IsAsciiDigit(c))
                {
                    return ParseInteger();
                }

                if (char.IsAsciiLetter(c))
                {
                    return ParseName();
                }

                return Fail<object>($"unexpected {DescribeChar()} at offset {_pos}");
        }
    }

    private Dictionary<string, object> ParseDict(int depth)
    {
        _pos++; // '{'
        var dict = new Dictionary<string, object>(StringComparer.Ordinal);
        while (true)
        {
            SkipWhitespace();
            if (Peek() == '}')
            {
                _pos++;
                return dict;
            }

            if (ParseValue(depth + 1) is not string key)
            {
                return Fail<Dictionary<string, object>>($"dictionary keys must be strings (near offset {_pos})");
            }

            SkipWhitespace();
            Expect(':');
            object value = ParseValue(depth + 1);
            if (!dict.TryAdd(key, value))
            {
                Fail($"duplicate key '{key}'");
            }

            SkipWhitespace();
            char c = Peek();
            if (c == ',')
            {
                _pos++;
            }
            else if (c != '}')
            {
                Fail($"expected ',' or '}}' at offset {_pos}, found {DescribeChar()}");
            }
        }
    }

    private List<object> ParseSequence(int depth, char close)
    {
        _pos++; // '(' or '['
        var items = new List<object>();
        while (true)
        {
            SkipWhitespace();
            if (Peek() == close)
            {
                _pos++;
                return items;
            }

            items.Add(ParseValue(depth + 1));
            SkipWhitespace();
            char c = Peek();
            if (c == ',')
            {
                _pos++;
            }
            else if (c != close)
            {
                Fail($"expected ',' or '{close}' at offset {_pos}, found {DescribeChar()}");
            }
        }
    }

    private string ParseString()
    {
        char quote = _text[_pos++];
        var sb = new StringBuilder();
        while (true)
        {
            if (_pos >= _text.Length)
            {
                Fail("unterminated string");
            }

            char c = _text[_pos++];
            if (c == quote)
            {
                return sb.ToString();
            }

            if (c is '\n' or '\r')
            {
                Fail("line break inside a string");
            }

            if (c == '\\' && _pos < _text.Length)
            {
                char e = _text[_pos++];
                sb.Append(e switch
                {
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    '0' => '\0',
                    '\\' or '\'' or '"' => e,
                    _ => Fail<char>($"unsupported escape '\\{e}' in a string"),
                });
                continue;
            }

            sb.Append(c);
        }
    }

    private long ParseInteger()
    {
        int start = _pos;
        if (_text[_pos] is '-' or '+')
        {
            _pos++;
        }

        while (_pos < _text.Length && char.IsAsciiDigit(_text[_pos]))
        {
            _pos++;
        }

        string digits = _text[start.._pos];
        if (_pos < _text.Length && _text[_pos] is 'L' or 'l')
        {
            _pos++; // Python 2 long suffix
        }

        if (!long.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
        {
            Fail($"integer '{Sanitize(digits)}' is malformed or out of range");
        }

        return value;
    }

    private object ParseName()
    {
        int start = _pos;
        while (_pos < _text.Length && (char.IsAsciiLetterOrDigit(_text[_pos]) || _text[_pos] == '_'))
        {
            _pos++;
        }

        string word = _text[start.._pos];
        return word switch
        {
            "True" => true,
            "False" => false,
            _ => Fail<object>($"unexpected name '{Sanitize(word)}' at offset {start}"),
        };
    }

    private void Expect(char c)
    {
        if (Peek() != c)
        {
            Fail($"expected '{c}' at offset {_pos}, found {DescribeChar()}");
        }

        _pos++;
    }

    private void SkipWhitespace()
    {
        while (_pos < _text.Length && _text[_pos] is ' ' or '\t' or '\n' or '\r')
        {
            _pos++;
        }
    }

    private char Peek() => _pos < _text.Length ? _text[_pos] : '\0';

    private string DescribeChar() =>
        _pos >= _text.Length ? "end of header" : $"'{Sanitize(_text[_pos].ToString())}'";

    private static string Show(object value) => value switch
    {
        bool b => b ? "True" : "False",
        string s => $"'{Sanitize(s)}'",
        long l => l.ToString(CultureInfo.InvariantCulture),
        List<object> => "a sequence",
        _ => "a dictionary",
    };

    /// <summary>Replaces control and non-ASCII characters so messages stay printable.</summary>
    internal static string Sanitize(string s)
    {
        const int MaxLength = 80;
        var sb = new StringBuilder(Math.Min(s.Length, MaxLength + 3));
        foreach (char c in s)
        {
            if (sb.Length >= MaxLength)
            {
                sb.Append("...");
                break;
            }

            sb.Append(c is >= ' ' and <= '~' ? c : '?');
        }

        return sb.ToString();
    }

    private void Fail(string problem) => IoThrowHelper.ThrowInvalidData(_name, Kind, "corrupt header: " + problem);

    private T Fail<T>(string problem) => IoThrowHelper.ThrowInvalidData<T>(_name, Kind, "corrupt header: " + problem);
}
