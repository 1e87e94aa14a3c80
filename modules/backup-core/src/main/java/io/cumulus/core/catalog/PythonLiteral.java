package io.cumulus.core.catalog;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Reads and writes the Python literals barman stores in backup.info: what {@code ast.literal_eval}
 * reads and {@code repr()} writes, limited to strings, ints, floats, {@code None}, booleans, tuples,
 * lists and dicts.
 *
 * <p>Python values map to Java as: str → {@link String}; int → {@link Long}, or {@link BigInteger}
 * beyond 64 bits; float → {@link Double}; None → {@code null}; bool → {@link Boolean}; list →
 * unmodifiable {@link List}; tuple → {@link Tuple}; dict → unmodifiable {@link Map} in the
 * literal's order. {@link #repr} writes them back the way CPython 3 does, so reading then writing
 * what barman wrote gives the same text.
 */
public final class PythonLiteral {

    private PythonLiteral() {}

    /**
     * A Python tuple, kept apart from lists because {@code repr} writes it with parentheses.
     *
     * @param items the elements, which may be null (Python {@code None})
     */
    public record Tuple(List<Object> items) {
        public Tuple {
            items = Collections.unmodifiableList(new ArrayList<>(Objects.requireNonNull(items, "items")));
        }

        public static Tuple of(Object... items) {
            return new Tuple(java.util.Arrays.asList(items));
        }
    }

    /**
     * Evaluates one literal, as {@code ast.literal_eval} would.
     *
     * @throws IllegalArgumentException when {@code text} is not one literal of the supported kinds
     */
    public static Object parse(String text) {
        Parser parser = new Parser(Objects.requireNonNull(text, "text"));
        parser.skipSpace();
        Object value = parser.value();
        parser.skipSpace();
        if (!parser.atEnd()) {
            throw parser.error("unexpected text after the literal");
        }
        return value;
    }

    /**
     * The literal CPython's {@code repr()} writes for {@code value}.
     *
     * @throws IllegalArgumentException for a type with no Python literal
     */
    public static String repr(Object value) {
        StringBuilder out = new StringBuilder();
        write(out, value);
        return out.toString();
    }

    private static void write(StringBuilder out, Object value) {
        if (value == null) {
            out.append("None");
        } else if (value instanceof String s) {
            writeString(out, s);
        } else if (value instanceof Boolean b) {
            out.append(b ? "True" : "False");
        } else if (value instanceof Long || value instanceof Integer || value instanceof Short
                || value instanceof Byte || value instanceof BigInteger) {
            out.append(value);
        } else if (value instanceof Double || value instanceof Float) {
            out.append(floatRepr(((Number) value).doubleValue()));
        } else if (value instanceof Tuple t) {
            out.append('(');
            writeItems(out, t.items());
            if (t.items().size() == 1) {
                out.append(',');
            }
            out.append(')');
        } else if (value instanceof List<?> list) {
            out.append('[');
            writeItems(out, list);
            out.append(']');
        } else if (value instanceof Map<?, ?> map) {
            out.append('{');
            String separator = "";
            for (Map.Entry<?, ?> e : map.entrySet()) {
                out.append(separator);
                write(out, e.getKey());
                out.append(": ");
                write(out, e.getValue());
                separator = ", ";
            }
            out.append('}');
        } else {
            throw new IllegalArgumentException("no Python literal for " + value.getClass().getName());
        }
    }

    private static void writeItems(StringBuilder out, List<?> items) {
        String separator = "";
        for (Object item : items) {
            out.append(separator);
            write(out, item);
            separator = ", ";
        }
    }

    /** CPython's {@code unicode_repr}: single quotes unless the text has ' and no ". */
    private static void writeString(StringBuilder out, String s) {
        char quote = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        out.append(quote);
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == quote || cp == '\\') {
                out.append('\\').appendCodePoint(cp);
            } else if (cp == '\t') {
                out.append("\\t");
            } else if (cp == '\n') {
                out.append("\\n");
            } else if (cp == '\r') {
                out.append("\\r");
            } else if (isPrintable(cp)) {
                out.appendCodePoint(cp);
            } else if (cp < 0x100) {
                out.append(String.format("\\x%02x", cp));
            } else if (cp < 0x10000) {
                out.append(String.format("\\u%04x", cp));
            } else {
                out.append(String.format("\\U%08x", cp));
            }
        }
        out.append(quote);
    }

    /**
     * Python's {@code str.isprintable()} for one character: not "Other", not a separator but space.
     * The JDK's Unicode version may trail Python's (Java 17: 13.0, Python 3.11: 14.0); a character
     * assigned in between is escaped here and written as is by Python, which reads back the same.
     */
    private static boolean isPrintable(int cp) {
        if (cp == ' ') {
            return true;
        }
        switch (Character.getType(cp)) {
            case Character.CONTROL, Character.FORMAT, Character.SURROGATE, Character.PRIVATE_USE,
                    Character.UNASSIGNED, Character.SPACE_SEPARATOR, Character.LINE_SEPARATOR,
                    Character.PARAGRAPH_SEPARATOR:
                return false;
            default:
                return true;
        }
    }

    /**
     * CPython's {@code float.__repr__}: the shortest decimal that reads back as the same double,
     * positional when the decimal exponent is in [-4, 16), else scientific with a two-digit exponent.
     * Java's {@code Double.toString} differs in form ({@code 1.0E-5}) and, before Java 19, is not
     * always the shortest.
     */
    static String floatRepr(double d) {
        if (Double.isNaN(d)) {
            return "nan";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "inf" : "-inf";
        }
        if (d == 0) {
            return (1 / d < 0) ? "-0.0" : "0.0";
        }
        BigDecimal exact = new BigDecimal(d);
        BigDecimal shortest = exact;
        for (int precision = 1; precision <= 17; precision++) {
            BigDecimal candidate = exact.round(new MathContext(precision, RoundingMode.HALF_EVEN));
            if (candidate.doubleValue() == d) {
                shortest = candidate;
                break;
            }
        }
        String digits = shortest.unscaledValue().abs().toString().replaceFirst("0+$", "");
        if (digits.isEmpty()) {
            digits = "0";
        }
        // decpt: where the decimal point falls relative to the digits, value = 0.DIGITS × 10^decpt
        int decpt = shortest.precision() - shortest.scale();
        StringBuilder out = new StringBuilder();
        if (d < 0) {
            out.append('-');
        }
        if (decpt > -4 && decpt <= 16) {
            if (decpt <= 0) {
                out.append("0.").append("0".repeat(-decpt)).append(digits);
            } else if (decpt >= digits.length()) {
                out.append(digits).append("0".repeat(decpt - digits.length())).append(".0");
            } else {
                out.append(digits, 0, decpt).append('.').append(digits, decpt, digits.length());
            }
        } else {
            out.append(digits.charAt(0));
            if (digits.length() > 1) {
                out.append('.').append(digits, 1, digits.length());
            }
            int exponent = decpt - 1;
            out.append('e').append(exponent < 0 ? '-' : '+');
            out.append(String.format("%02d", Math.abs(exponent)));
        }
        return out.toString();
    }

    /** A recursive-descent reader of one literal. */
    private static final class Parser {
        private final String text;
        private int pos;

        Parser(String text) {
            this.text = text;
        }

        boolean atEnd() {
            return pos >= text.length();
        }

        IllegalArgumentException error(String message) {
            return new IllegalArgumentException(
                    "invalid Python literal at offset " + pos + ": " + message + ": " + abbreviate(text));
        }

        private static String abbreviate(String s) {
            return s.length() <= 200 ? s : s.substring(0, 200) + "...";
        }

        void skipSpace() {
            while (pos < text.length()) {
                char c = text.charAt(pos);
                if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
                    pos++;
                } else if (c == '\\' && text.startsWith("\n", pos + 1)) {
                    pos += 2; // explicit line joining
                } else {
                    return;
                }
            }
        }

        Object value() {
            if (atEnd()) {
                throw error("a value is missing");
            }
            char c = text.charAt(pos);
            switch (c) {
                case '[':
                    pos++;
                    return Collections.unmodifiableList(sequence(']'));
                case '(':
                    return parenthesized();
                case '{':
                    return dict();
                case '+':
                case '-':
                    return signedNumber();
                default:
                    break;
            }
            if (c == '\'' || c == '"' || isStringPrefixStart()) {
                return strings();
            }
            if (isDigit(c) || (c == '.' && pos + 1 < text.length() && isDigit(text.charAt(pos + 1)))) {
                return number();
            }
            String name = identifier();
            switch (name) {
                case "None":
                    return null;
                case "True":
                    return Boolean.TRUE;
                case "False":
                    return Boolean.FALSE;
                default:
                    throw error(name.isEmpty() ? "unexpected character '" + c + "'" : "'" + name + "' is not a literal");
            }
        }

        /** Python's tokenizer reads ASCII digits only. */
        private static boolean isDigit(char c) {
            return c >= '0' && c <= '9';
        }

        private String identifier() {
            int start = pos;
            while (pos < text.length() && (Character.isLetterOrDigit(text.charAt(pos)) || text.charAt(pos) == '_')) {
                pos++;
            }
            return text.substring(start, pos);
        }

        /** Items up to {@code close}, with an optional trailing comma; the opener is consumed. */
        private List<Object> sequence(char close) {
            List<Object> items = new ArrayList<>();
            skipSpace();
            while (!consume(close)) {
                items.add(value());
                skipSpace();
                if (!consume(',')) {
                    skipSpace();
                    expect(close);
                    break;
                }
                skipSpace();
            }
            return items;
        }

        private Object parenthesized() {
            pos++;
            skipSpace();
            if (consume(')')) {
                return new Tuple(List.of());
            }
            Object first = value();
            skipSpace();
            if (consume(')')) {
                return first; // (x) is x, not a tuple
            }
            expect(',');
            List<Object> items = new ArrayList<>();
            items.add(first);
            items.addAll(sequence(')'));
            return new Tuple(items);
        }

        private Map<Object, Object> dict() {
            pos++;
            Map<Object, Object> map = new LinkedHashMap<>();
            skipSpace();
            while (!consume('}')) {
                Object key = value();
                if (key instanceof List<?> || key instanceof Map<?, ?>) {
                    throw error("a dict key must be hashable");
                }
                skipSpace();
                expect(':');
                skipSpace();
                map.put(key, value());
                skipSpace();
                if (!consume(',')) {
                    skipSpace();
                    expect('}');
                    break;
                }
                skipSpace();
            }
            return Collections.unmodifiableMap(map);
        }

        private boolean consume(char c) {
            if (pos < text.length() && text.charAt(pos) == c) {
                pos++;
                return true;
            }
            return false;
        }

        private void expect(char c) {
            if (!consume(c)) {
                throw error("expected '" + c + "'");
            }
        }

        // ---- numbers

        /** One unary sign on a number, the only operator {@code ast.literal_eval} evaluates here. */
        private Object signedNumber() {
            boolean negative = text.charAt(pos) == '-';
            pos++;
            skipSpace();
            Object n = number();
            if (!negative) {
                return n;
            }
            if (n instanceof Long l) {
                return l == Long.MIN_VALUE ? BigInteger.valueOf(l).negate() : -l;
            }
            if (n instanceof BigInteger b) {
                return normalize(b.negate());
            }
            return -(Double) n;
        }

        private Object number() {
            if (atEnd()) {
                throw error("a number is missing");
            }
            int start = pos;
            if (text.charAt(pos) == '0' && pos + 1 < text.length() && "xXoObB".indexOf(text.charAt(pos + 1)) >= 0) {
                char kind = Character.toLowerCase(text.charAt(pos + 1));
                pos += 2;
                int digitsStart = pos;
                while (pos < text.length() && (Character.isLetterOrDigit(text.charAt(pos)) || text.charAt(pos) == '_')) {
                    pos++;
                }
                int radix = kind == 'x' ? 16 : kind == 'o' ? 8 : 2;
                return parseInteger(text.substring(digitsStart, pos), radix, start);
            }
            boolean isFloat = false;
            while (pos < text.length()) {
                char c = text.charAt(pos);
                if (isDigit(c) || c == '_') {
                    pos++;
                } else if (c == '.') {
                    isFloat = true;
                    pos++;
                } else if ((c == 'e' || c == 'E')) {
                    isFloat = true;
                    pos++;
                    if (pos < text.length() && (text.charAt(pos) == '+' || text.charAt(pos) == '-')) {
                        pos++;
                    }
                } else {
                    break;
                }
            }
            if (pos < text.length() && (text.charAt(pos) == 'j' || text.charAt(pos) == 'J')) {
                throw error("complex numbers are not supported");
            }
            String token = text.substring(start, pos);
            if (isFloat) {
                try {
                    checkUnderscores(token, start);
                    return Double.parseDouble(token.replace("_", ""));
                } catch (NumberFormatException e) {
                    pos = start;
                    throw error("invalid float '" + token + "'");
                }
            }
            if (token.length() > 1 && token.charAt(0) == '0' && !token.replace("_", "").matches("0+")) {
                pos = start;
                throw error("leading zeros in a decimal integer are not permitted");
            }
            return parseInteger(token, 10, start);
        }

        private Object parseInteger(String digits, int radix, int start) {
            try {
                checkUnderscores(digits, start);
                String clean = digits.startsWith("_") && radix != 10 ? digits.substring(1) : digits;
                return normalize(new BigInteger(clean.replace("_", ""), radix));
            } catch (NumberFormatException e) {
                pos = start;
                throw error("invalid integer '" + digits + "'");
            }
        }

        /** Python allows one underscore between digits only. */
        private void checkUnderscores(String token, int start) {
            if (token.endsWith("_") || token.contains("__") || token.contains("_.") || token.contains("._")) {
                pos = start;
                throw error("misplaced underscore in '" + token + "'");
            }
        }

        private static Object normalize(BigInteger n) {
            return n.bitLength() < 64 ? (Object) n.longValue() : n;
        }

        // ---- strings

        private boolean isStringPrefixStart() {
            int i = pos;
            while (i < text.length() && i - pos < 2 && "rRuUbBfF".indexOf(text.charAt(i)) >= 0) {
                i++;
            }
            return i > pos && i < text.length() && (text.charAt(i) == '\'' || text.charAt(i) == '"');
        }

        /** One or more adjacent string literals, concatenated as the Python tokenizer does. */
        private String strings() {
            StringBuilder out = new StringBuilder();
            do {
                string(out);
                skipSpace();
            } while (!atEnd() && (text.charAt(pos) == '\'' || text.charAt(pos) == '"' || isStringPrefixStart()));
            return out.toString();
        }

        private void string(StringBuilder out) {
            boolean raw = false;
            while (text.charAt(pos) != '\'' && text.charAt(pos) != '"') {
                char p = Character.toLowerCase(text.charAt(pos));
                if (p == 'b') {
                    throw error("bytes literals are not supported");
                }
                if (p == 'f') {
                    throw error("f-strings are not literals");
                }
                raw |= p == 'r';
                pos++;
            }
            char quote = text.charAt(pos);
            boolean triple = text.startsWith(String.valueOf(quote).repeat(3), pos);
            pos += triple ? 3 : 1;
            int literalStart = pos;
            while (true) {
                if (atEnd()) {
                    pos = literalStart;
                    throw error("unterminated string");
                }
                char c = text.charAt(pos);
                if (c == quote && (!triple || text.startsWith(String.valueOf(quote).repeat(3), pos))) {
                    pos += triple ? 3 : 1;
                    return;
                }
                if (c == '\n' && !triple) {
                    throw error("line break in a single-quoted string");
                }
                if (c == '\\') {
                    if (raw) {
                        // a raw string keeps the backslash, but it still protects the next character
                        out.append(c);
                        pos++;
                        if (!atEnd()) {
                            out.append(text.charAt(pos++));
                        }
                    } else {
                        escape(out);
                    }
                } else {
                    out.append(c);
                    pos++;
                }
            }
        }

        private void escape(StringBuilder out) {
            int start = pos;
            pos++; // the backslash
            if (atEnd()) {
                throw error("unterminated string");
            }
            char c = text.charAt(pos++);
            switch (c) {
                case '\n' -> { } // line continuation
                case '\\' -> out.append('\\');
                case '\'' -> out.append('\'');
                case '"' -> out.append('"');
                case 'a' -> out.append('\u0007');
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'v' -> out.append('\u000b');
                case 'x' -> out.appendCodePoint(hex(2, start));
                case 'u' -> out.appendCodePoint(hex(4, start));
                case 'U' -> {
                    int cp = hex(8, start);
                    if (!Character.isValidCodePoint(cp)) {
                        pos = start;
                        throw error("\\U escape out of the Unicode range");
                    }
                    out.appendCodePoint(cp);
                }
                case 'N' -> out.appendCodePoint(namedCharacter(start));
                default -> {
                    if (c >= '0' && c <= '7') {
                        int value = c - '0';
                        for (int n = 1; n < 3 && pos < text.length() && text.charAt(pos) >= '0' && text.charAt(pos) <= '7'; n++) {
                            value = value * 8 + (text.charAt(pos++) - '0');
                        }
                        out.appendCodePoint(value);
                    } else {
                        // Python keeps an unknown escape as written (with a warning)
                        out.append('\\').append(c);
                    }
                }
            }
        }

        private int hex(int count, int start) {
            if (pos + count > text.length()) {
                pos = start;
                throw error("truncated \\x, \\u or \\U escape");
            }
            String digits = text.substring(pos, pos + count);
            if (!digits.matches("[0-9a-fA-F]+")) {
                pos = start;
                throw error("truncated \\x, \\u or \\U escape");
            }
            pos += count;
            return Integer.parseUnsignedInt(digits, 16);
        }

        private int namedCharacter(int start) {
            int close = text.indexOf('}', pos);
            if (!text.startsWith("{", pos) || close < 0) {
                pos = start;
                throw error("malformed \\N{...} escape");
            }
            String name = text.substring(pos + 1, close);
            try {
                int cp = Character.codePointOf(name);
                pos = close + 1;
                return cp;
            } catch (IllegalArgumentException e) {
                pos = start;
                throw error("unknown Unicode character name '" + name + "'");
            }
        }
    }
}
