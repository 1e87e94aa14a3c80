package io.cumulus.e2e;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The members of a plain tar archive, found by walking its 512-byte headers, so a test can damage an
 * archive at a chosen place: commons-compress is not on this module's class path.
 */
final class TarMembers {

    /**
     * One member.
     *
     * @param name its path (a PAX header's when it has one)
     * @param type the header's type flag ({@code '0'} or NUL for a regular file)
     * @param start where it begins, its PAX header included
     * @param data where its content begins
     * @param size its content's size
     */
    record Member(String name, char type, int start, int data, long size) {
        boolean isFile() {
            return type == '0' || type == 0;
        }
    }

    private TarMembers() {
    }

    static List<Member> of(byte[] tar) {
        List<Member> members = new ArrayList<>();
        String paxPath = null;
        int paxStart = -1;
        int at = 0;
        while (at + 512 <= tar.length && tar[at] != 0) {
            String header = new String(tar, at, 512, StandardCharsets.ISO_8859_1);
            long size = Long.parseLong(header.substring(124, 136).replace("\0", "").trim(), 8);
            char type = header.charAt(156);
            int data = at + 512;
            if (type == 'x') {
                Matcher path = Pattern.compile("\\d+ path=([^\n]*)\n")
                        .matcher(new String(tar, data, (int) size, StandardCharsets.UTF_8));
                paxPath = path.find() ? path.group(1) : null;
                paxStart = at;
            } else {
                String prefix = header.substring(345, 500).replace("\0", "");
                String name = paxPath != null ? paxPath : (prefix.isEmpty() ? "" : prefix + "/")
                        + header.substring(0, 100).replace("\0", "");
                members.add(new Member(name, type, paxStart >= 0 ? paxStart : at, data, size));
                paxPath = null;
                paxStart = -1;
            }
            at = data + (int) ((size + 511) / 512 * 512);
        }
        return members;
    }
}
