package dev.skiff.kubelet.dns;

import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Answers one DNS message: the cluster zone from the current {@link RecordIndex} (authoritative), everything else
 * through the {@link Forwarder}.
 */
public final class DnsAnswers {
    /** The EDNS payload size we offer (the DNS flag day 2020 value). */
    static final int MAX_UDP_PAYLOAD = 1232;
    private final AtomicReference<RecordIndex> index;
    private final Forwarder forwarder;

    public DnsAnswers(AtomicReference<RecordIndex> index, Forwarder forwarder) {
        this.index = index;
        this.forwarder = forwarder;
    }

    public CompletionStage<Message> answer(Message query) {
        if (query.getHeader().getFlag(Flags.QR)) {
            return CompletableFuture.completedFuture(null); // a response sent to us: never answer it
        }
        if (query.getHeader().getOpcode() != Opcode.QUERY) {
            return CompletableFuture.completedFuture(error(query, Rcode.NOTIMP));
        }
        Record question = query.getQuestion();
        if (question == null) {
            return CompletableFuture.completedFuture(error(query, Rcode.FORMERR));
        }
        RecordIndex.Answer a = index.get().lookup(question.getName(), question.getType());
        if (a == null) {
            return forwarder.forward(query);
        }
        Message m = reply(query, a.rcode());
        m.getHeader().setFlag(Flags.AA);
        a.answers().forEach(r -> m.addRecord(r, Section.ANSWER));
        a.authority().forEach(r -> m.addRecord(r, Section.AUTHORITY));
        a.additional().forEach(r -> m.addRecord(r, Section.ADDITIONAL));
        return CompletableFuture.completedFuture(m);
    }

    /** An empty reply to {@code query} with {@code rcode}. */
    static Message error(Message query, int rcode) {
        return reply(query, rcode);
    }

    private static Message reply(Message query, int rcode) {
        Message m = new Message(query.getHeader().getID());
        m.getHeader().setFlag(Flags.QR);
        m.getHeader().setFlag(Flags.RA);
        if (query.getHeader().getFlag(Flags.RD)) {
            m.getHeader().setFlag(Flags.RD);
        }
        m.getHeader().setOpcode(query.getHeader().getOpcode());
        m.getHeader().setRcode(rcode);
        if (query.getQuestion() != null) {
            m.addRecord(query.getQuestion(), Section.QUESTION);
        }
        if (query.getOPT() != null) {
            m.addRecord(new OPTRecord(MAX_UDP_PAYLOAD, 0, 0), Section.ADDITIONAL); // EDNS in, EDNS out
        }
        return m;
    }
}
