package io.cumulus.postgres;

import io.cumulus.core.catalog.Tablespace;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * Lists what barman-cloud-backup puts in each archive of a backup, in the order it adds them
 * (reference §4.3, §5.2): first one archive per tablespace (its {@code PG_<major>_*} directories,
 * members relative to the tablespace location), then the data directory with barman's exclusions,
 * {@code global/pg_control} last of the data files, then the configuration files that live outside
 * the data directory, at the archive root under their base name.
 *
 * <p>The walk is lazy and top-down like Python's {@code os.walk}: a directory, then its files, then
 * each subdirectory's subtree, names sorted so the order is reproducible. Each entry is stat'ed when
 * the caller asks for it, so its size is current when the caller starts copying. An entry that
 * vanishes before that (ENOENT) is skipped, as barman skips it: WAL replay recreates it. Symbolic
 * links to directories (a symlinked pg_wal, the pg_tblspc links) are neither followed nor stored;
 * other symbolic links are stored as links; sockets, FIFOs and devices are skipped.
 *
 * <p>A configuration file outside the data directory is restored at the data directory's root, so a
 * file or link of the same name at that root (initdb's postgresql.conf when the server runs with
 * {@code -c config_file=/etc/...}) is left out of the walk: barman stores both and the later, outside
 * one overwrites the other on extraction; storing it once gives the same restored file and keeps
 * every path once in the backup manifest, which pg_verifybackup and our restore require.
 *
 * <p>Deliberate differences from barman, all on the side of copying less: an excluded directory
 * is excluded with its whole subtree (barman still walks into its subdirectories: a tablespace
 * located inside the data directory, or the old {@code PG_<major>_*} directories of a tablespace
 * during an upgrade, would get their subdirectories copied), the temporary-relation rule treats
 * {@code [0-9]} as a character class, which is what that rule means, and a leftover backup_label or
 * tablespace_map at the data directory's root is left out, as PostgreSQL's own base backup does.
 *
 * <p>I/O errors other than a vanished entry surface as {@link UncheckedIOException} from the
 * stream, as with {@link Files#walk}. A missing {@code global/pg_control} or configuration file is
 * an error, except ident_file (PostgreSQL does not need it either).
 */
public final class PgDataWalker {

    /**
     * Files at the data directory's root that a running server's own base backup leaves out
     * (basebackup.c's excludeFiles) and barman-cloud-backup 3.4 copies: a leftover backup_label would
     * be a second member of that name beside the one the backup writes (a manifest listing a path
     * twice, which pg_verifybackup rejects), and a leftover tablespace_map would make the restored
     * server re-create its tablespace links from a stale map.
     */
    private static final List<String> ROOT_FILES_LEFT_OUT = List.of("backup_label", "tablespace_map");

    private final ServerFacts facts;
    private final Path dataDirectory;
    private final Consumer<String> warnings;

    /** A walker over the server's files; it must run on the server's host. */
    public PgDataWalker(ServerFacts facts) {
        this(facts, warning -> { });
    }

    /**
     * @param warnings told, as the walk meets it, of a file whose name is not valid UTF-8 (a tar member
     *     name is text): stored under a name with U+FFFD in place of its bad bytes, or left out when another
     *     file of its directory already has that name
     */
    public PgDataWalker(ServerFacts facts, Consumer<String> warnings) {
        this.facts = Objects.requireNonNull(facts, "facts");
        this.dataDirectory = facts.dataDirectory();
        this.warnings = Objects.requireNonNull(warnings, "warnings");
    }

    /**
     * The entries of one tablespace's archive ({@code <oid>.tar}): only the {@code PG_<major>_*}
     * directories directly in the tablespace location, and what they hold minus barman's generic
     * exclusions. The location itself is not an entry.
     */
    public Stream<PgDataEntry> tablespace(Tablespace tablespace) {
        ExclusionRules rules = new ExclusionRules(List.of("/PG_" + facts.majorVersion() + "_*"),
                concat(List.of("/*"), ExclusionRules.GENERIC_RULES));
        Walk walk = new Walk(Path.of(tablespace.location()), rules, "pg_tblspc/" + tablespace.oid() + "/", false,
                warnings);
        return stream(walk::nextOrNull);
    }

    /**
     * The entries of the data archive ({@code data.tar}) before backup_label: the data directory
     * (following it if it is itself a symbolic link) minus barman's exclusions, a leftover
     * backup_label and tablespace_map at its root, the tablespace directories inside it and the
     * {@code pg_tblspc/<oid>} links; then {@code global/pg_control};
     * then config_file, hba_file and ident_file where they live outside the data directory, each in
     * place of a file or link of its name at the data directory's root.
     */
    public Stream<PgDataEntry> dataDirectory() {
        List<String> exclude = new ArrayList<>(ExclusionRules.DATA_DIRECTORY_RULES);
        exclude.addAll(ExclusionRules.GENERIC_RULES);
        for (Tablespace tablespace : facts.tablespaces()) {
            Path location = Path.of(tablespace.location());
            if (location.startsWith(dataDirectory) && !location.equals(dataDirectory)) {
                exclude.add("/" + dataDirectory.relativize(location));
            }
            exclude.add("/pg_tblspc/" + tablespace.oid());
        }
        Walk walk = new Walk(dataDirectory, new ExclusionRules(List.of(), exclude), "", true, warnings);
        List<ExternalConfigFile> externals = externalConfigFiles();
        Set<String> leftOut = new HashSet<>(ROOT_FILES_LEFT_OUT);
        externals.forEach(external -> leftOut.add(external.name()));
        List<Supplier<Optional<PgDataEntry>>> tail = new ArrayList<>();
        tail.add(() -> Optional.of(statRequired(dataDirectory.resolve("global/pg_control"), "global/pg_control",
                "global/pg_control", LinkOption.NOFOLLOW_LINKS)));
        externals.forEach(external -> tail.add(external::entry));
        Iterator<Supplier<Optional<PgDataEntry>>> rest = tail.iterator();
        // one producer, not Stream.concat/flatMap, whose iterator() would stat a whole walk ahead
        return stream(() -> {
            PgDataEntry entry = walk.nextOrNull();
            while (entry != null && entry.kind() != PgDataEntry.Kind.DIRECTORY
                    && leftOut.contains(entry.relativePath())) {
                entry = walk.nextOrNull();
            }
            while (entry == null && rest.hasNext()) {
                entry = rest.next().get().orElse(null);
            }
            return entry;
        });
    }

    /**
     * The data directory itself as its archive's root entry ({@code ./}), read now: its owner is
     * what backup_label is given.
     */
    public PgDataEntry dataDirectoryRoot() {
        return statRequired(dataDirectory, "./", ".");
    }

    /**
     * config_file, hba_file and ident_file when outside the data directory and stored: ident_file only
     * when it exists now, and of two with one base name only the later, which barman's extraction
     * would leave.
     */
    private List<ExternalConfigFile> externalConfigFiles() {
        Path realDataDirectory = realPath(dataDirectory);
        List<ExternalConfigFile> files = new ArrayList<>();
        for (Path file : List.of(facts.configFile(), facts.hbaFile(), facts.identFile())) {
            if (insideDataDirectory(file, realDataDirectory)) {
                continue;
            }
            boolean optional = file.equals(facts.identFile());
            if (optional && !Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            ExternalConfigFile external = new ExternalConfigFile(file, file.getFileName().toString(), optional);
            files.removeIf(earlier -> earlier.name().equals(external.name()));
            files.add(external);
        }
        return files;
    }

    /**
     * The files of {@link ServerFacts#includedFiles()} that live outside the data directory, in its
     * order: pulled in by {@code include}, {@code include_if_exists} or {@code include_dir}, they are
     * in no archive (nor in barman-cloud-backup's, which warns of them too), so the DBA must copy them.
     * Outside: its real path is not under the data directory's, and no symbolic link below the data
     * directory leads there (those are {@link #configFilesBehindLinks()}).
     */
    public List<Path> includedFilesOutside() {
        Path realDataDirectory = realPath(dataDirectory);
        List<Path> outside = new ArrayList<>();
        for (String included : facts.includedFiles()) {
            Path file = Path.of(included);
            if (linkBelow(file, realDataDirectory).isEmpty() && !realPath(file).startsWith(realDataDirectory)) {
                outside.add(file);
            }
        }
        return outside;
    }

    /**
     * config_file, hba_file, ident_file and the included files whose content no archive holds because
     * a symbolic link is on their way, each with that link: a link below the data directory (the file
     * itself, or a directory such as a linked {@code conf.d}), which the walk stores as a link or, for
     * a directory, not at all; or a configuration file outside the data directory that is itself a
     * link, stored as one. In the facts' order, each file once. barman-cloud-backup says nothing of
     * them, and a server restored from such a backup refuses to start without them.
     */
    public Map<Path, Path> configFilesBehindLinks() {
        Path realDataDirectory = realPath(dataDirectory);
        Map<Path, Path> behindLinks = new LinkedHashMap<>();
        for (Path file : List.of(facts.configFile(), facts.hbaFile(), facts.identFile())) {
            if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                continue; // an ident_file that does not exist: PostgreSQL does not need it
            }
            Optional<Path> link = linkBelow(file, realDataDirectory);
            if (link.isEmpty() && !insideDataDirectory(file, realDataDirectory) && Files.isSymbolicLink(file)) {
                link = Optional.of(file); // stored at the archive root as it is: a link
            }
            link.ifPresent(found -> behindLinks.putIfAbsent(file, found));
        }
        for (String included : facts.includedFiles()) {
            Path file = Path.of(included);
            linkBelow(file, realDataDirectory).ifPresent(found -> behindLinks.putIfAbsent(file, found));
        }
        return behindLinks;
    }

    /** Whether config_file's rule keeps {@code file} in the walk: its path or its real path is under the data directory. */
    private boolean insideDataDirectory(Path file, Path realDataDirectory) {
        return file.normalize().startsWith(dataDirectory) || realPath(file).startsWith(realDataDirectory);
    }

    /**
     * The first symbolic link on {@code file}'s way that is below the real data directory ({@code file}
     * itself included), named as {@code file}'s path names it. Links above the data directory are
     * followed, as the walk follows a data directory given through a link; one below it the walk
     * never follows.
     */
    private static Optional<Path> linkBelow(Path file, Path realDataDirectory) {
        Path path = file.toAbsolutePath().normalize();
        Path resolved = path.getRoot();
        for (int i = 0; i < path.getNameCount(); i++) {
            Path next = resolved.resolve(path.getName(i));
            if (Files.isSymbolicLink(next)) {
                if (resolved.startsWith(realDataDirectory)) {
                    return Optional.of(path.getRoot().resolve(path.subpath(0, i + 1)));
                }
                next = realPath(next);
            }
            resolved = next;
        }
        return Optional.empty();
    }

    /** A configuration file stored at the archive root under its base name, read when its turn comes. */
    private record ExternalConfigFile(Path path, String name, boolean optional) {
        /** Stored as tarfile.add stores it: a symbolic link stays a link. */
        Optional<PgDataEntry> entry() {
            return optional ? stat(path, name, name, LinkOption.NOFOLLOW_LINKS)
                    : Optional.of(statRequired(path, name, name, LinkOption.NOFOLLOW_LINKS));
        }
    }

    private static Path realPath(Path path) {
        try {
            return path.toRealPath();
        } catch (IOException e) {
            return path.toAbsolutePath().normalize();
        }
    }

    private static PgDataEntry statRequired(Path file, String name, String relativePath, LinkOption... options) {
        PgDataEntry entry;
        try {
            entry = toEntry(file, name, relativePath, Files.readAttributes(file, "unix:*", options));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        if (entry == null) {
            throw new UncheckedIOException(new IOException(file + " is not a file, directory or symbolic link"));
        }
        return entry;
    }

    /** The entry for {@code file} as it is now; empty when it vanished or is not storable. */
    private static Optional<PgDataEntry> stat(Path file, String name, String relativePath, LinkOption... options) {
        try {
            Map<String, Object> attributes = Files.readAttributes(file, "unix:*", options);
            return Optional.ofNullable(toEntry(file, name, relativePath, attributes));
        } catch (NoSuchFileException vanished) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private static PgDataEntry toEntry(Path file, String name, String relativePath, Map<String, Object> attributes)
            throws IOException {
        int mode = (Integer) attributes.get("mode");
        int type = mode & 0170000;
        PgDataEntry.Kind kind;
        String linkTarget = "";
        if (type == 0040000) {
            kind = PgDataEntry.Kind.DIRECTORY;
            name = name.endsWith("/") ? name : name + "/";
        } else if (type == 0100000) {
            kind = PgDataEntry.Kind.FILE;
        } else if (type == 0120000) {
            kind = PgDataEntry.Kind.SYMLINK;
            linkTarget = Files.readSymbolicLink(file).toString();
        } else {
            return null;
        }
        int uid = (Integer) attributes.get("uid");
        int gid = (Integer) attributes.get("gid");
        long size = kind == PgDataEntry.Kind.FILE ? (Long) attributes.get("size") : 0;
        FileTime modified = (FileTime) attributes.get("lastModifiedTime");
        return new PgDataEntry(name, relativePath, kind, file, size, mode & 07777, modified, uid, gid,
                principalName((UserPrincipal) attributes.get("owner"), uid),
                principalName((GroupPrincipal) attributes.get("group"), gid), linkTarget);
    }

    /** The name, or empty when the id has none (the JDK then gives the number), as Python's tarfile. */
    private static String principalName(UserPrincipal principal, int id) {
        String name = principal == null ? "" : principal.getName();
        return name.equals(Integer.toString(id)) ? "" : name;
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    /** A lazy stream asking {@code nextOrNull} for one entry at a time, until it answers null. */
    private static Stream<PgDataEntry> stream(Supplier<PgDataEntry> nextOrNull) {
        return StreamSupport.stream(new Spliterators.AbstractSpliterator<PgDataEntry>(Long.MAX_VALUE,
                Spliterator.ORDERED | Spliterator.NONNULL) {
            @Override
            public boolean tryAdvance(Consumer<? super PgDataEntry> action) {
                PgDataEntry next = nextOrNull.get();
                if (next == null) {
                    return false;
                }
                action.accept(next);
                return true;
            }
        }, false);
    }

    /** Something found on disk whose entry is produced later, with barman's path for it. */
    private sealed interface Pending permits PendingDirectory, PendingFile {
    }

    /** A directory: first waiting to be visited, then to be handed out. */
    private record PendingDirectory(Path path, String rulePath) implements Pending {
    }

    /** A file or symbolic link of the directory being visited, to be stat'ed when its turn comes. */
    private record PendingFile(Path path, String rulePath) implements Pending {
    }

    /** The lazy top-down walk of one root. */
    private static final class Walk {
        private final ExclusionRules rules;
        private final String restoredPrefix;
        private final Deque<PendingDirectory> directories = new ArrayDeque<>();
        private final Deque<Pending> ready = new ArrayDeque<>();
        private final boolean rootIsEntry;
        private final Consumer<String> warnings;

        /**
         * @param restoredPrefix what precedes the root-relative path in a restored data directory
         * @param rootIsEntry whether the root directory and its files are members (not for tablespaces,
         *        where only the PG_* subdirectories are)
         */
        Walk(Path root, ExclusionRules rules, String restoredPrefix, boolean rootIsEntry, Consumer<String> warnings) {
            this.rules = rules;
            this.restoredPrefix = restoredPrefix;
            this.rootIsEntry = rootIsEntry;
            this.warnings = warnings;
            directories.push(new PendingDirectory(root, "."));
        }

        /** The next entry, stat'ed now; null once the walk is over. */
        PgDataEntry nextOrNull() {
            while (true) {
                Pending item = ready.poll();
                if (item == null) {
                    PendingDirectory directory = directories.poll();
                    if (directory == null) {
                        return null;
                    }
                    visit(directory);
                    continue;
                }
                Optional<PgDataEntry> entry;
                if (item instanceof PendingDirectory self) {
                    LinkOption[] follow = self.rulePath.equals(".") ? new LinkOption[0]
                            : new LinkOption[] {LinkOption.NOFOLLOW_LINKS};
                    entry = stat(self.path, memberName(self.rulePath, true), restoredPath(self.rulePath), follow)
                            .filter(found -> found.kind() == PgDataEntry.Kind.DIRECTORY);
                } else if (item instanceof PendingFile file) {
                    entry = stat(file.path, memberName(file.rulePath, false), restoredPath(file.rulePath),
                            LinkOption.NOFOLLOW_LINKS)
                            .filter(found -> found.kind() != PgDataEntry.Kind.DIRECTORY);
                } else {
                    throw new IllegalStateException("unknown pending item " + item);
                }
                if (entry.isPresent()) {
                    return entry.get();
                }
            }
        }

        /** Queues the directory's own entry and files, and pushes its subdirectories, all sorted. */
        private void visit(PendingDirectory directory) {
            List<Path> children = new ArrayList<>();
            try (DirectoryStream<Path> listing = Files.newDirectoryStream(directory.path)) {
                listing.forEach(children::add);
            } catch (NoSuchFileException vanished) {
                return;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list " + directory.path, e);
            }
            children.sort((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()));
            boolean isRoot = directory.rulePath.equals(".");
            boolean membersHere = !isRoot || rootIsEntry;
            if (membersHere) {
                ready.add(directory);
            }
            List<PendingDirectory> subdirectories = new ArrayList<>();
            Set<String> stored = new HashSet<>();
            for (Path child : children) {
                String name = child.getFileName().toString();
                String rulePath = directory.rulePath + "/" + name;
                BasicFileAttributes attributes;
                try {
                    attributes = Files.readAttributes(child, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                } catch (NoSuchFileException vanished) {
                    continue;
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read " + child, e);
                }
                if (attributes.isDirectory()) {
                    String directoryPath = isRoot ? name : rulePath;
                    if (rules.allowed(directoryPath, true) && storedUnder(child, name, stored)) {
                        subdirectories.add(new PendingDirectory(child, directoryPath));
                    }
                } else if (attributes.isSymbolicLink() && Files.isDirectory(child)) {
                    continue; // symlinked directories are neither followed nor stored, as os.walk does
                } else if (membersHere && (attributes.isRegularFile() || attributes.isSymbolicLink())
                        && rules.allowed(rulePath, false) && storedUnder(child, name, stored)) {
                    ready.add(new PendingFile(child, rulePath));
                }
            }
            for (int i = subdirectories.size() - 1; i >= 0; i--) {
                directories.push(subdirectories.get(i));
            }
        }

        /**
         * Whether {@code child} is stored under {@code name}, the text its name reads as: a name that is not
         * valid UTF-8 reads with U+FFFD in place of its bad bytes, and is stored so with a warning, unless
         * another member of the directory ({@code stored}, the names taken so far) reads the same: two
         * members of one path would leave one file on restore and a manifest pg_verifybackup refuses.
         */
        private boolean storedUnder(Path child, String name, Set<String> stored) {
            if (!stored.add(name)) {
                warnings.accept("file name " + child.toUri().getRawPath() + " is not valid UTF-8 and reads as "
                        + child.getParent().resolve(name) + ", as another file's there does: left out of the backup;"
                        + " rename it with valid UTF-8 (PostgreSQL never writes such names)");
                return false;
            }
            if (!child.getFileName().equals(child.getFileSystem().getPath(name))) {
                warnings.accept("file name " + child.toUri().getRawPath() + " is not valid UTF-8: stored as "
                        + child.getParent().resolve(name) + ", with U+FFFD for the bytes shown as %XX; rename it"
                        + " with valid UTF-8 to keep its name (PostgreSQL never writes such names)");
            }
            return true;
        }

        /** barman's member name: {@code ./} for the root, {@code dir/} for directories, the path for files. */
        private static String memberName(String rulePath, boolean directory) {
            return directory ? rulePath + "/" : rulePath;
        }

        private String restoredPath(String rulePath) {
            String path = rulePath.startsWith("./") ? rulePath.substring(2) : rulePath;
            if (path.equals(".")) {
                return restoredPrefix.isEmpty() ? "." : restoredPrefix.substring(0, restoredPrefix.length() - 1);
            }
            return restoredPrefix + path;
        }
    }
}
