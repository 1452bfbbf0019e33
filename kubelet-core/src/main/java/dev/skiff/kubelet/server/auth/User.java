package dev.skiff.kubelet.server.auth;

import java.util.List;

/**
 * Who made a request to the secure port, as upstream's user.Info.
 *
 * @param name   user name (a client certificate's CN, a token's user)
 * @param uid    user id ("" when unknown)
 * @param groups groups (a certificate's O values, a token's groups; authenticated users also get
 *               {@code system:authenticated}, the anonymous user {@code system:unauthenticated})
 */
public record User(String name, String uid, List<String> groups) {
    public static final String AUTHENTICATED = "system:authenticated";
    public static final User ANONYMOUS = new User("system:anonymous", "", List.of("system:unauthenticated"));

    public User {
        groups = List.copyOf(groups);
    }

    /** This user with {@code system:authenticated} added, as upstream's AuthenticatedGroupAdder. */
    User authenticated() {
        if (groups.contains(AUTHENTICATED)) {
            return this;
        }
        List<String> g = new java.util.ArrayList<>(groups);
        g.add(AUTHENTICATED);
        return new User(name, uid, g);
    }
}
