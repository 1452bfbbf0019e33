/**
 * A test client for Kubernetes' streaming protocols, written from their descriptions and sharing
 * no code with Skiff's streaming server, so one mistake cannot hide on both sides.
 *
 * <ul>
 *   <li>SPDY/3.1 (framing, zlib header compression with the SPDY/3 dictionary) carrying the
 *       remote-command protocols {@code v4.channel.k8s.io} … {@code channel.k8s.io} (stream types
 *       error, stdin, stdout, stderr, resize) and {@code portforward.k8s.io} (stream types error and
 *       data with {@code port} and {@code requestID} headers);</li>
 *   <li>RFC 6455 WebSocket (masked client frames) carrying the channel protocols
 *       {@code v4.channel.k8s.io} and {@code v5.channel.k8s.io} (one channel byte per message:
 *       0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize; v5's close signal {@code [255, channel]}).</li>
 * </ul>
 *
 * <p>It behaves as Kubernetes' own clients do (client-go over moby/spdystream; kubectl's
 * WebSocket executor): in particular, like spdystream, it implements no SPDY flow control
 * (it ignores SETTINGS and WINDOW_UPDATE and sends none), so a server that waits for window
 * updates stalls here as it would with kubectl and crictl; and a RST_STREAM ends a stream as EOF
 * (upstream's server resets all streams when it ends a session). Where upstream would silently
 * lose data (DATA before SYN_REPLY), this client fails loudly instead.
 *
 * <p>URLs are {@code http://} (a CRI streaming server) or {@code https://} with an {@link dev.skiff.streamclient.Access}
 * giving TLS and extra headers (the kubelet's secure port, with {@code Authorization}).
 *
 * <p>Entry points: {@link dev.skiff.streamclient.StreamClient#exec},
 * {@link dev.skiff.streamclient.StreamClient#attach} and
 * {@link dev.skiff.streamclient.StreamClient#portForward}.
 */
package dev.skiff.streamclient;
