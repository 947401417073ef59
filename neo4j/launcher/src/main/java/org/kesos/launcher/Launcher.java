package org.kesos.launcher;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.io.ByteUnit;

/**
 * Runs N embedded Neo4j DBMS in one JVM: instance i keeps its files under HOME/i and speaks Bolt on
 * 127.0.0.1:(PORT+i) only. Several instances because Neo4j Community has one user database per
 * DBMS, and the test suite needs isolated graphs. Prints "ready PORT..." once every instance
 * accepts connections; shuts down cleanly on SIGTERM.
 *
 * <p>Usage: --home DIR --port P --password-file F [--instances N] [--page-cache 64m]
 */
public final class Launcher {
    private Launcher() {}

    public static void main(String[] argv) throws Exception {
        Map<String, String> args = parse(argv);
        Path home = Path.of(require(args, "--home"));
        int port = Integer.parseInt(require(args, "--port"));
        String password = Files.readString(Path.of(require(args, "--password-file")), StandardCharsets.UTF_8).strip();
        int instances = Integer.parseInt(args.getOrDefault("--instances", "1"));
        long pageCache = ByteUnit.parse(args.getOrDefault("--page-cache", "64m"));

        List<DatabaseManagementService> started = new CopyOnWriteArrayList<>();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            started.parallelStream().forEach(DatabaseManagementService::shutdown);
            stopped.countDown();
        }));
        // Instances start side by side: creating a store the first time takes most of a minute on a busy machine.
        List<Thread> starting = new ArrayList<>();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        for (int i = 0; i < instances; i++) {
            int instance = i;
            Thread thread = new Thread(() -> {
                try {
                    DatabaseManagementService dbms = build(home.resolve(Integer.toString(instance)), port + instance, pageCache);
                    started.add(dbms);
                    setPassword(dbms, home.resolve(Integer.toString(instance)), password);
                    awaitListening(port + instance);
                } catch (Throwable e) {
                    failures.add(e);
                }
            }, "start-" + i);
            thread.start();
            starting.add(thread);
        }
        for (Thread thread : starting) {
            thread.join();
        }
        if (!failures.isEmpty()) {
            failures.get(0).printStackTrace();
            System.exit(1);
        }
        StringBuilder ready = new StringBuilder("ready");
        for (int i = 0; i < instances; i++) {
            ready.append(' ').append(port + i);
        }
        System.out.println(ready);
        System.out.flush();
        stopped.await();
    }

    private static DatabaseManagementService build(Path home, int port, long pageCache) {
        return new DatabaseManagementServiceBuilder(home)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                .setConfig(BoltConnector.advertised_address, new SocketAddress("127.0.0.1", port))
                .setConfig(HttpConnector.enabled, false)
                .setConfig(HttpsConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.auth_enabled, true)
                .setConfig(GraphDatabaseSettings.udc_enabled, false) // nothing leaves the machine at run time
                .setConfig(GraphDatabaseSettings.pagecache_memory, pageCache)
                .setConfig(GraphDatabaseSettings.keep_logical_logs, "1 files")
                .setConfig(GraphDatabaseSettings.logical_log_rotation_threshold, ByteUnit.mebiBytes(8))
                .setConfig(GraphDatabaseSettings.preallocate_logical_logs, false)
                .build();
    }

    /**
     * The neo4j user's password becomes the file's content, with no change required at first login. A digest
     * of the password last set is kept beside the data, so a restart with the same password sends no Cypher
     * (compiling the first statement costs seconds).
     */
    private static void setPassword(DatabaseManagementService dbms, Path home, String password)
            throws IOException, NoSuchAlgorithmException {
        Path marker = home.resolve("password.sha256");
        String digest = HexFormat.of().formatHex(
                MessageDigest.getInstance("SHA-256").digest(password.getBytes(StandardCharsets.UTF_8)));
        if (Files.exists(marker) && Files.readString(marker, StandardCharsets.UTF_8).strip().equals(digest)) {
            return;
        }
        try {
            dbms.database("system").executeTransactionally(
                    "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED", Map.of("password", password));
        } catch (RuntimeException e) {
            // Already this password (a restart): Neo4j refuses to "change" it to itself.
            String message = String.valueOf(e.getMessage()) + " " + (e.getCause() == null ? "" : e.getCause().getMessage());
            if (!message.contains("cannot be the same")) {
                throw e;
            }
        }
        Files.writeString(marker, digest + "\n", StandardCharsets.UTF_8);
    }

    private static void awaitListening(int port) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (true) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                return;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("Bolt on 127.0.0.1:" + port + " does not accept connections", e);
                }
                Thread.sleep(100);
            }
        }
    }

    private static Map<String, String> parse(String[] argv) {
        Map<String, String> args = new HashMap<>();
        for (int i = 0; i + 1 < argv.length; i += 2) {
            if (!argv[i].startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument " + argv[i]);
            }
            args.put(argv[i], argv[i + 1]);
        }
        if (argv.length % 2 != 0) {
            throw new IllegalArgumentException("option " + argv[argv.length - 1] + " needs a value");
        }
        return args;
    }

    private static String require(Map<String, String> args, String key) {
        String value = args.get(key);
        if (value == null) {
            throw new IllegalArgumentException("missing " + key
                    + " (usage: --home DIR --port P --password-file F [--instances N] [--page-cache 64m])");
        }
        return value;
    }
}
