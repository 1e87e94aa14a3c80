package io.cumulus.core.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.cumulus.core.catalog.PythonLiteral.Tuple;
import io.cumulus.core.util.ExternalCommand;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PythonLiteralTest {

    @Test
    void readsStringsWithEveryPythonEscape() {
        assertEquals("a'b\"c\\d\ne\rf\tg\u0007\b\f\u000b", PythonLiteral.parse("'a\\'b\"c\\\\d\\ne\\rf\\tg\\a\\b\\f\\v'"));
        assertEquals("\u00e9\u20ac\ud83d\ude00", PythonLiteral.parse("'\\xe9\\u20ac\\U0001f600'"));
        assertEquals("A\u0000S", PythonLiteral.parse("'\\101\\0\\123'"));
        assertEquals("\u00e9", PythonLiteral.parse("'\\N{LATIN SMALL LETTER E WITH ACUTE}'"));
        assertEquals("keep \\q", PythonLiteral.parse("'keep \\q'"));
        assertEquals("joined", PythonLiteral.parse("'join\\\ned'"));
    }

    @Test
    void readsBothQuoteStylesTripleQuotesPrefixesAndAdjacentLiterals() {
        assertEquals("it's", PythonLiteral.parse("\"it's\""));
        assertEquals("two\nlines 'q' \"q\"", PythonLiteral.parse("'''two\nlines 'q' \"q\"'''"));
        assertEquals("raw\\n\\'", PythonLiteral.parse("r'raw\\n\\''"));
        assertEquals("unicode", PythonLiteral.parse("u'unicode'"));
        assertEquals("ab", PythonLiteral.parse("'a' \"b\""));
    }

    @Test
    void readsNumbersAsPythonDoes() {
        assertEquals(42L, PythonLiteral.parse("42"));
        assertEquals(-42L, PythonLiteral.parse("-42"));
        assertEquals(1_000_000L, PythonLiteral.parse("1_000_000"));
        assertEquals(255L, PythonLiteral.parse("0xff"));
        assertEquals(8L, PythonLiteral.parse("0o10"));
        assertEquals(5L, PythonLiteral.parse("0b101"));
        assertEquals(0L, PythonLiteral.parse("00"));
        assertEquals(new BigInteger("18446744073709551616"), PythonLiteral.parse("18446744073709551616"));
        assertEquals(Long.MIN_VALUE, PythonLiteral.parse("-9223372036854775808"));
        assertEquals(0.5, PythonLiteral.parse(".5"));
        assertEquals(1.0, PythonLiteral.parse("1."));
        assertEquals(-2.5e-7, PythonLiteral.parse("-2.5e-7"));
        assertEquals(1e16, PythonLiteral.parse("1e+16"));
    }

    @Test
    void readsNoneBooleansAndContainers() {
        assertNull(PythonLiteral.parse("None"));
        assertEquals(true, PythonLiteral.parse("True"));
        assertEquals(false, PythonLiteral.parse("False"));
        assertEquals(List.of(1L, "a"), PythonLiteral.parse("[1, 'a',]"));
        assertEquals(new Tuple(List.of()), PythonLiteral.parse("()"));
        assertEquals(Tuple.of(1L), PythonLiteral.parse("(1,)"));
        assertEquals(1L, PythonLiteral.parse("(1)"));
        assertEquals(Tuple.of("a", 2L, null), PythonLiteral.parse("( 'a' , 2 , None )"));
        Map<Object, Object> expected = new LinkedHashMap<>();
        expected.put("z", List.of());
        expected.put(1L, Map.of());
        expected.put(Tuple.of(1L, 2L), null);
        assertEquals(expected, PythonLiteral.parse("{'z': [], 1: {}, (1, 2): None}"));
        assertEquals(List.of("z", 1L, Tuple.of(1L, 2L)),
                new ArrayList<>(((Map<?, ?>) PythonLiteral.parse("{'z': [], 1: {}, (1, 2): None}")).keySet()),
                "dict order is the literal's");
        assertEquals(List.of(List.of(Map.of("k", List.of(Tuple.of(1L))))), PythonLiteral.parse("[[{'k': [(1,)]}]]"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "'open", "\"mixed'", "[1, 2", "{'a' 1}", "{1, 2}", "Ellipsis", "...", "x", "1 2",
        "b'bytes'", "f'x'", "01", "1__0", "1_", "3j", "--1", "'\\x4'", "'\\N{NO SUCH NAME}'", "[1,,]", "'a\nb'"})
    void rejectsWhatLiteralEvalRejects(String text) {
        assertThrows(IllegalArgumentException.class, () -> PythonLiteral.parse(text));
    }

    @Test
    void writesContainersAsRepr() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("b", List.of(1L, 2.5, true, false));
        map.put("a", null);
        map.put("t", Tuple.of(1L));
        map.put("e", new Tuple(List.of()));
        assertEquals("{'b': [1, 2.5, True, False], 'a': None, 't': (1,), 'e': ()}", PythonLiteral.repr(map));
        assertEquals("[('ts1', 16384, '/srv/pg/ts1')]",
                PythonLiteral.repr(List.of(Tuple.of("ts1", 16384L, "/srv/pg/ts1"))));
    }

    @Test
    void writesFloatsAsPythonRepr() {
        assertEquals("0.0", PythonLiteral.floatRepr(0.0));
        assertEquals("-0.0", PythonLiteral.floatRepr(-0.0));
        assertEquals("1.0", PythonLiteral.floatRepr(1.0));
        assertEquals("0.1", PythonLiteral.floatRepr(0.1));
        assertEquals("0.0001", PythonLiteral.floatRepr(0.0001));
        assertEquals("1e-05", PythonLiteral.floatRepr(0.00001));
        assertEquals("1000000000000000.0", PythonLiteral.floatRepr(1e15));
        assertEquals("1e+16", PythonLiteral.floatRepr(1e16));
        assertEquals("1.2345678901234568e+17", PythonLiteral.floatRepr(123456789012345678.0));
        assertEquals("261.529688", PythonLiteral.floatRepr(261.529688));
        assertEquals("2e-323", PythonLiteral.floatRepr(2e-323));
        assertEquals("1.7976931348623157e+308", PythonLiteral.floatRepr(Double.MAX_VALUE));
        assertEquals("inf", PythonLiteral.floatRepr(Double.POSITIVE_INFINITY));
    }

    @Test
    void writesFloatsAsCpythonDoes() throws Exception {
        assumeTrue(ExternalCommand.available("python3"), "python3 is not on PATH");
        Random random = new Random(11);
        double[] values = new double[3000];
        for (int i = 0; i < values.length; i++) {
            values[i] = switch (i % 3) {
                case 0 -> Double.longBitsToDouble(random.nextLong());
                case 1 -> random.nextInt(1_000_000) / Math.pow(10, random.nextInt(12));
                default -> random.nextDouble() * Math.pow(10, random.nextInt(40) - 20);
            };
            if (Double.isNaN(values[i])) {
                values[i] = i;
            }
        }
        StringBuilder hex = new StringBuilder();
        for (double v : values) {
            hex.append(Double.toHexString(v)).append('\n');
        }
        String script = "import sys\nfor line in sys.stdin:\n    print(repr(float.fromhex(line.strip())))";
        List<String> python = new String(ExternalCommand.run(List.of("python3", "-c", script),
                hex.toString().getBytes(StandardCharsets.US_ASCII)).successfulOutput(), StandardCharsets.UTF_8)
                .lines().toList();
        List<String> ours = Arrays.stream(values).mapToObj(PythonLiteral::floatRepr).toList();
        assertEquals(python, ours);
    }

    @Test
    void writesStringsAsCpythonDoes() throws Exception {
        assumeTrue(ExternalCommand.available("python3"), "python3 is not on PATH");
        List<String> strings = new ArrayList<>(List.of("", "plain", "it's", "say \"hi\"", "both ' and \"",
                "back\\slash", "new\nline\r\ttab", "\u0000\u001f\u007f\u0080\u009f\u00a0\u00ad\u00ff",
                "\u0100\u2028\u2029\u200b\ufeff\ue000\uffff", "\ud83d\ude00 \ud800 lone", "caf\u00e9 \u4e2d\u6587",
                "unassigned \udb40\udc80 \u0378"));
        Random random = new Random(5);
        for (int i = 0; i < 300; i++) {
            StringBuilder s = new StringBuilder();
            for (int n = random.nextInt(12); n > 0; n--) {
                int cp = switch (random.nextInt(4)) {
                    case 0 -> random.nextInt(0x80);
                    case 1 -> random.nextInt(0x300);
                    case 2 -> random.nextInt(0x10000);
                    default -> 0x10000 + random.nextInt(0x100000);
                };
                // Java 17 knows Unicode 13, Python 3.11 Unicode 14: leave out what only one has assigned
                if ((cp >= 0xd800 && cp <= 0xdfff) || !Character.isDefined(cp)) {
                    cp = 'x';
                }
                s.appendCodePoint(cp);
            }
            strings.add(s.toString());
        }
        // hand the strings over as code point lists, so that lone surrogates survive the trip
        StringBuilder input = new StringBuilder();
        for (String s : strings) {
            input.append(String.join(" ", s.chars().mapToObj(Integer::toString).toList())).append('\n');
        }
        String script = String.join("\n",
                "import sys",
                "for line in sys.stdin.read().split('\\n')[:-1]:",
                "    units = [int(u) for u in line.split()]",
                "    raw = b''.join(u.to_bytes(2, 'little') for u in units)",
                "    s = raw.decode('utf-16-le', 'surrogatepass')",
                "    sys.stdout.buffer.write(repr(s).encode('utf-8', 'surrogatepass') + b'\\n')");
        byte[] out = ExternalCommand.run(List.of("python3", "-c", script), input.toString().getBytes(StandardCharsets.US_ASCII))
                .successfulOutput();
        List<String> python = Arrays.asList(new String(out, StandardCharsets.UTF_8).split("\n", -1)).subList(0, strings.size());
        List<String> ours = strings.stream().map(PythonLiteral::repr).toList();
        for (int i = 0; i < strings.size(); i++) {
            assertEquals(python.get(i), ours.get(i), "repr of string #" + i);
            assertEquals(strings.get(i), PythonLiteral.parse(ours.get(i)), "reading back string #" + i);
        }
    }
}
