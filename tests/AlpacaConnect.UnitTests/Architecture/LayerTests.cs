using System.Reflection;
using System.Reflection.Emit;
using AlpacaConnect.Core.Connections;
using AlpacaConnect.Core.Trading;

namespace AlpacaConnect.UnitTests.Architecture;

/// <summary>
/// Core's rooms (its folders, one namespace each) form one-way layers. Read from the compiled
/// assembly: every type a type names in its signatures, fields, locals and method bodies (IL), so a
/// dependency hidden in a lambda or an async state machine counts too.
/// </summary>
public sealed class LayerTests
{
    /// <summary>
    /// Lower first. A room may use rooms of its own layer or below, never above; a new room (Signals,
    /// Schedules, Agents ...) is placed here before it can exist.
    /// </summary>
    private static readonly string[][] Layers =
    [
        ["Http", "Storage", "Secrets", "Telemetry", "Events", "Outbox"],
        ["Alpaca"],
        ["Connections"],
        ["Connect", "Trading", "Signals", "Schedules", "Agents"],
        ["Webhooks"],
        ["Api", "Health"],
        [Root],
    ];

    private const string Root = "(Core)";
    private const string CoreNamespace = "AlpacaConnect.Core";

    private static readonly Lazy<Dictionary<(string From, string To), string>> Edges = new(ReadEdges);

    [Fact]
    public void Every_room_is_placed_in_a_layer()
    {
        var rooms = Edges.Value.Keys.SelectMany(e => new[] { e.From, e.To }).Distinct();
        NoneOf(rooms.Where(r => Rank(r) < 0), "rooms in no layer");
    }

    [Fact]
    public void No_room_uses_a_room_of_a_higher_layer()
    {
        var upward = Edges.Value.Where(e => Rank(e.Key.To) > Rank(e.Key.From))
            .Select(e => $"{e.Key.From} -> {e.Key.To} ({e.Value})");
        NoneOf(upward, "upward dependencies");
    }

    [Fact]
    public void No_two_rooms_depend_on_each_other_even_within_a_layer()
    {
        var cycles = Cycles(Edges.Value.Keys.ToList());
        NoneOf(cycles.Select(c => string.Join(" -> ", c) + " (" + string.Join("; ", c.Zip(c.Skip(1)).Select(p => Edges.Value[(p.First, p.Second)])) + ")"), "cycles");
    }

    [Fact]
    public void The_cycle_finder_finds_a_cycle_through_three_rooms_once()
    {
        var cycles = Cycles([("A", "B"), ("B", "C"), ("C", "A"), ("C", "D"), ("D", "E")]);
        Assert.Equal(["A", "B", "C", "A"], Assert.Single(cycles));
    }

    /// <summary>Assert.Empty, with every offender in the message instead of the first few, cut.</summary>
    private static void NoneOf(IEnumerable<string> offenders, string what)
    {
        var list = offenders.ToList();
        Assert.True(list.Count == 0, $"{list.Count} {what}:\n" + string.Join("\n", list));
    }

    [Fact]
    public void The_reader_sees_what_only_a_method_body_names()
    {
        // TradeIds.TryParse names Connections' UserIds in its body alone: if the IL reader missed
        // that, the tests above would pass on a graph with holes.
        var method = typeof(TradeIds).GetMethod(nameof(TradeIds.TryParse))!;
        Assert.Contains(typeof(UserIds), Referenced(method.Module, method, [], []));
        Assert.Contains(("Trading", "Connections"), Edges.Value.Keys);
    }

    private static int Rank(string room) => Array.FindIndex(Layers, l => l.Contains(room));

    private static string? RoomOf(Type type)
    {
        var ns = type.Namespace;
        if (ns is null || !(ns == CoreNamespace || ns.StartsWith(CoreNamespace + ".", StringComparison.Ordinal)))
            return null;
        return ns == CoreNamespace ? Root : ns[(CoreNamespace.Length + 1)..].Split('.')[0];
    }

    /// <summary>Room -> room, with one example of who uses what.</summary>
    private static Dictionary<(string, string), string> ReadEdges()
    {
        var edges = new Dictionary<(string, string), string>();
        foreach (var type in typeof(TradeStore).Assembly.GetTypes())
        {
            var from = RoomOf(type);
            if (from is null)
                continue;
            foreach (var used in Used(type))
                if (RoomOf(used) is { } to && to != from)
                    edges.TryAdd((from, to), $"{Display(type)} uses {Display(used)}");
        }
        return edges;
    }

    private static string Display(Type t) => (t.DeclaringType is { } outer ? Display(outer) + "." : "") + t.Name;

    private const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    private static IEnumerable<Type> Used(Type type)
    {
        var found = new List<Type>();
        if (type.BaseType is { } b) found.Add(b);
        found.AddRange(type.GetInterfaces());
        found.AddRange(type.GetFields(All).Select(f => f.FieldType));
        found.AddRange(type.GetProperties(All).Select(p => p.PropertyType));
        var typeArgs = type.IsGenericType ? type.GetGenericArguments() : [];
        foreach (var method in type.GetMethods(All).Cast<MethodBase>().Concat(type.GetConstructors(All)))
        {
            if (method is MethodInfo mi) found.Add(mi.ReturnType);
            found.AddRange(method.GetParameters().Select(p => p.ParameterType));
            var methodArgs = method.IsGenericMethodDefinition ? method.GetGenericArguments() : [];
            found.AddRange(Referenced(type.Module, method, typeArgs, methodArgs));
        }
        return found.SelectMany(Expand);
    }

    /// <summary>A type and what it is built from: T[], T&amp;, List&lt;T&gt;.</summary>
    private static IEnumerable<Type> Expand(Type t)
    {
        if (t.HasElementType)
            return Expand(t.GetElementType()!);
        if (t.IsGenericType && !t.IsGenericTypeDefinition)
            return t.GetGenericArguments().SelectMany(Expand).Prepend(t.GetGenericTypeDefinition());
        return t.IsGenericParameter ? [] : [t];
    }

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    /// <summary>The types, methods' and fields' declaring types a method body's IL names, and its locals.</summary>
    private static IEnumerable<Type> Referenced(Module module, MethodBase method, Type[] typeArgs, Type[] methodArgs)
    {
        var body = method.GetMethodBody();
        if (body is null)
            yield break;
        foreach (var local in body.LocalVariables)
            yield return local.LocalType;
        var il = body.GetILAsByteArray() ?? [];
        for (var at = 0; at < il.Length;)
        {
            var code = il[at] == 0xFE ? OpCodesByValue[(short)(0xFE00 | il[at + 1])] : OpCodesByValue[il[at]];
            at += code.Size;
            switch (code.OperandType)
            {
                case OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineType or OperandType.InlineTok:
                    var token = BitConverter.ToInt32(il, at);
                    MemberInfo? member = null;
                    try { member = module.ResolveMember(token, typeArgs, methodArgs); }
                    catch (ArgumentException) { } // a token that needs a generic context we do not have
                    if (member is Type t) yield return t;
                    else if (member?.DeclaringType is { } declaring) yield return declaring;
                    if (member is MethodInfo m)
                    {
                        yield return m.ReturnType;
                        foreach (var p in m.GetParameters()) yield return p.ParameterType;
                        if (m.IsGenericMethod) foreach (var a in m.GetGenericArguments()) yield return a;
                    }
                    if (member is FieldInfo f) yield return f.FieldType;
                    at += 4;
                    break;
                case OperandType.InlineSwitch:
                    at += 4 + 4 * BitConverter.ToInt32(il, at);
                    break;
                default:
                    at += OperandSize(code.OperandType);
                    break;
            }
        }
    }

    private static int OperandSize(OperandType type) => type switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        _ => 4,
    };

    /// <summary>Each cycle once, as a path that returns to its start (a strongly connected component's members, walked).</summary>
    private static List<List<string>> Cycles(List<(string From, string To)> edges)
    {
        var next = edges.GroupBy(e => e.From).ToDictionary(g => g.Key, g => g.Select(e => e.To).ToList());
        var cycles = new List<List<string>>();
        var reported = new HashSet<string>();
        foreach (var start in next.Keys.Order())
        {
            var path = FindPath(next, start, start, [start]);
            if (path is not null && reported.Add(string.Join(",", path.Distinct().Order())))
                cycles.Add(path);
        }
        return cycles;
    }

    private static List<string>? FindPath(Dictionary<string, List<string>> next, string at, string target, List<string> path)
    {
        foreach (var to in next.GetValueOrDefault(at) ?? [])
        {
            if (to == target)
                return [.. path, to];
            if (path.Contains(to))
                continue;
            if (FindPath(next, to, target, [.. path, to]) is { } found)
                return found;
        }
        return null;
    }
}
