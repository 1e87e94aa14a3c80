package io.cumulus.cli;

import io.cumulus.core.InvalidInputException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Parses barman-cloud's tag options: {@code --tags k1,v1 k2,v2} (each item a CSV pair, quotes
 * allowed) and the repeatable {@code --tag k,v} (split on the first comma, trimmed). Only {@code --tag}
 * (newest barman-cloud's) has its key and value checked here, with newest barman-cloud's rules; the items
 * of {@code --tags} are taken as barman-cloud 3.4 takes them, a repeated key's last value winning.
 */
public final class Tags {
    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9 _.:/=+\\-@]{1,128}");

    private Tags() {
    }

    /**
     * The tags given by either form; giving both is an error.
     *
     * @param optionName the option's name, for messages
     */
    public static Map<String, String> parse(String optionName, List<String> tagsItems, List<String> tagItems) {
        if (!tagsItems.isEmpty() && !tagItems.isEmpty()) {
            throw new InvalidInputException(optionName + "s and " + optionName + " cannot be used together: use "
                    + optionName + " k,v once per tag");
        }
        Map<String, String> tags = new LinkedHashMap<>();
        for (String item : tagsItems) {
            List<String> fields = csvFields(item);
            if (fields.size() != 2) {
                throw new InvalidInputException("invalid tag '" + item + "' in " + optionName
                        + "s: expected KEY,VALUE");
            }
            // as barman-cloud 3.4, which checks nothing else: the store answers for what it refuses
            tags.put(fields.get(0), fields.get(1));
        }
        for (String item : tagItems) {
            int comma = item.indexOf(',');
            if (comma < 0) {
                throw new InvalidInputException("invalid tag '" + item + "' in " + optionName + ": expected KEY,VALUE");
            }
            put(tags, item.substring(0, comma).trim(), item.substring(comma + 1).trim(), item);
        }
        return tags;
    }

    private static void put(Map<String, String> tags, String key, String value, String item) {
        if (!KEY.matcher(key).matches() || key.startsWith("aws:")) {
            throw new InvalidInputException("invalid tag key in '" + item + "': 1 to 128 characters of"
                    + " letters, digits, space and _.:/=+-@, not starting with aws:");
        }
        if (value.length() > 256) {
            throw new InvalidInputException("tag value of '" + key + "' is longer than 256 characters");
        }
        if (tags.put(key, value) != null) {
            throw new InvalidInputException("tag key '" + key + "' is given twice");
        }
    }

    /** Splits one CSV record as Python's csv module does (double quotes, doubled quote as escape). */
    static List<String> csvFields(String line) {
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    field.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    field.append(c);
                }
            } else if (c == '"' && field.length() == 0) {
                quoted = true;
            } else if (c == ',') {
                fields.add(field.toString());
                field.setLength(0);
            } else {
                field.append(c);
            }
        }
        fields.add(field.toString());
        return fields;
    }
}
