package io.cumulus.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/** barman-cloud's object tags: the repeatable {@code --tag k,v}, or the older {@code --tags k,v ...}. */
public final class TagOptions {

    @Option(names = "--tags", arity = "1..*", paramLabel = "KEY,VALUE",
            description = "Tags of every object written (deprecated form; prefer --tag).")
    List<String> tags = new ArrayList<>();

    @Option(names = "--tag", paramLabel = "KEY,VALUE", description = "A tag of every object written; repeatable.")
    List<String> tag = new ArrayList<>();

    /** The validated tags, in the order given. */
    public Map<String, String> tags() {
        return Tags.parse("--tag", tags, tag);
    }
}
