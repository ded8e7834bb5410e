using System.Reflection;
using System.Text;

namespace Wsss.Core.Tests;

/// <summary>
/// Guards the public API: the exported surface of Wsss.Core must equal the committed PublicAPI.txt.
/// After an intended change, run the tests with WSSS_UPDATE_PUBLIC_API=1 to rewrite the file, and commit it.
/// </summary>
public class PublicApiTests
{
    private static string ApiFile => Path.Combine(TestContext.CurrentContext.TestDirectory, "..", "..", "..", "PublicAPI.txt");

    internal static IEnumerable<string> Surface(Assembly assembly)
    {
        const BindingFlags flags = BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        foreach (var type in assembly.GetExportedTypes())
        {
            string kind = type.IsEnum ? "enum" : type.IsInterface ? "interface" : type.IsValueType ? "struct" : type.IsAbstract && type.IsSealed ? "static class" : "class";
            string baseType = type.BaseType is { } b && b != typeof(object) && b != typeof(ValueType) && b != typeof(Enum) ? " : " + Name(b) : "";
            yield return $"{kind} {Name(type)}{baseType}";
            if (type.IsEnum)
            {
                foreach (var n in Enum.GetNames(type)) yield return $"{Name(type)}.{n}";
                continue;
            }
            foreach (var m in type.GetMembers(flags))
            {
                string? line = m switch
                {
                    ConstructorInfo c => $"{Name(type)}.ctor({Params(c)})",
                    MethodInfo mi when !mi.IsSpecialName || mi.Name.StartsWith("op_", StringComparison.Ordinal) => $"{Name(type)}.{mi.Name}{Generic(mi)}({Params(mi)}) -> {Name(mi.ReturnType)}{(mi.IsStatic ? " static" : "")}",
                    PropertyInfo p => $"{Name(type)}.{p.Name} : {Name(p.PropertyType)}{(p.GetMethod?.IsStatic == true ? " static" : "")}{(p.SetMethod is { IsPublic: true } ? " set" : "")}",
                    FieldInfo f => $"{Name(type)}.{f.Name} : {Name(f.FieldType)}{(f.IsLiteral ? " const" : f.IsStatic ? " static" : "")}",
                    EventInfo e => $"{Name(type)}.{e.Name} event {Name(e.EventHandlerType!)}",
                    _ => null,
                };
                if (line is not null) yield return line;
            }
        }
    }

    private static string Generic(MethodInfo m) => m.IsGenericMethod ? "<" + string.Join(", ", m.GetGenericArguments().Select(Name)) + ">" : "";

    private static string Params(MethodBase m) => string.Join(", ", m.GetParameters().Select(p =>
        $"{(p.IsOut ? "out " : p.ParameterType.IsByRef ? "ref " : "")}{Name(p.ParameterType)} {p.Name}{(p.HasDefaultValue ? " = " + (p.DefaultValue ?? "null") : "")}"));

    private static string Name(Type t)
    {
        if (t.IsByRef) return Name(t.GetElementType()!);
        if (t.IsArray) return Name(t.GetElementType()!) + "[]";
        if (t.IsGenericParameter) return t.Name;
        string n = t.IsNested ? Name(t.DeclaringType!) + "." + t.Name : (t.Namespace is { } ns ? ns + "." : "") + t.Name;
        if (!t.IsGenericType) return n;
        int tick = n.IndexOf('`');
        if (tick >= 0) n = n[..tick];
        return n + "<" + string.Join(", ", t.GetGenericArguments().Select(Name)) + ">";
    }

    [Test]
    public void PublicApiMatchesTheCommittedList()
    {
        var actual = Surface(typeof(Wsss.Core.Tensors.Tensor).Assembly).OrderBy(l => l, StringComparer.Ordinal).ToList();
        string text = string.Join("\n", actual) + "\n";
        if (Environment.GetEnvironmentVariable("WSSS_UPDATE_PUBLIC_API") == "1")
        {
            File.WriteAllText(ApiFile, text, new UTF8Encoding(false));
            Assert.Pass("PublicAPI.txt rewritten");
        }
        Assert.That(File.Exists(ApiFile), Is.True, $"missing {ApiFile}; run with WSSS_UPDATE_PUBLIC_API=1");
        var expected = File.ReadAllLines(ApiFile).Where(l => l.Length > 0).ToList();
        var added = actual.Except(expected).ToList();
        var removed = expected.Except(actual).ToList();
        if (added.Count > 0 || removed.Count > 0)
            Assert.Fail("The public API changed (run with WSSS_UPDATE_PUBLIC_API=1 if intended).\nAdded:\n  " + string.Join("\n  ", added) + "\nRemoved:\n  " + string.Join("\n  ", removed));
    }
}
