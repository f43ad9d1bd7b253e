package io.fedge.simulation.attack;

import com.google.protobuf.ByteString;
import io.fedge.comm.OutgoingTransfer;
import io.fedge.comm.WireProtocol;
import io.fedge.comm.crypto.UpdateSealer;
import io.fedge.comm.proto.ByeCode;
import io.fedge.comm.proto.Chunk;
import io.fedge.comm.proto.Envelope;
import io.fedge.comm.proto.Heartbeat;
import io.fedge.comm.proto.Hello;
import io.fedge.comm.proto.TrainResult;
import io.fedge.comm.proto.TrainTask;
import io.fedge.compression.CodecRegistry;
import io.fedge.compression.UpdateCodec;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One connection of a {@link WireAttacker}: says Hello with the attacker's examples, keeps the
 * connection alive with heartbeats at the interval the Welcome asks for, and then
 * <ul>
 *   <li>{@code stall}: answers every TrainTask with a well-formed announcement of an update (zeros
 *       in the round's codec, sealed to the round's key when it publishes one), and once the
 *       coordinator admits it sends only its first chunk;
 *   <li>{@code noread}: stops reading its socket ({@code autoRead} off) right after the Welcome,
 *       so every task and model the coordinator sends it stays queued.
 * </ul>
 * Event loop only.
 */
final class WireAttackerHandler extends SimpleChannelInboundHandler<Envelope> {
    private static final Logger log = LoggerFactory.getLogger(WireAttackerHandler.class);
    private static final long TRANSFER_IDS = 0x5741_4C4C_0000_0000L;

    private final WireAttacker attacker;
    private int maxChunkBytes = WireProtocol.DEFAULT_CHUNK_BYTES;
    private int chunkElements = Integer.MAX_VALUE;
    private long nextTransferId = TRANSFER_IDS;
    /** The first chunk of the update announced last, sent when it is admitted. */
    private Chunk firstChunk;

    WireAttackerHandler(WireAttacker attacker) {
        this.attacker = attacker;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.writeAndFlush(Envelope.newBuilder().setHello(Hello.newBuilder()
                .setProtocolVersion(WireProtocol.VERSION)
                .setClientId(attacker.clientId())
                .addAllCodecs(CodecRegistry.defaultRegistry().names())
                .setNumExamples(attacker.examples())).build());
        ctx.fireChannelActive();
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Envelope msg) {
        switch (msg.getBodyCase()) {
            case WELCOME -> welcomed(ctx, msg);
            case TRAIN_TASK -> {
                attacker.listener().trainTask(attacker.clientId(), msg.getTrainTask().getRound());
                if (attacker.kind() == Attack.Kind.STALL) {
                    announce(ctx, msg.getTrainTask());
                }
            }
            case UPLOAD_READY -> {
                if (firstChunk != null && firstChunk.getTransferId() == msg.getUploadReady().getTransferId()) {
                    ctx.writeAndFlush(Envelope.newBuilder().setChunk(firstChunk).build());
                    firstChunk = null; // and nothing more: the upload stalls
                }
            }
            case ERROR -> log.info("attacker {}: coordinator says {}: {}", attacker.clientId(),
                    msg.getError().getCode(), msg.getError().getMessage());
            case BYE -> {
                if (msg.getBye().getCode() != ByeCode.GOING_AWAY) {
                    attacker.finished();
                }
                ctx.close();
            }
            default -> { } // model chunks, heartbeats, evaluation tasks: ignored
        }
    }

    private void welcomed(ChannelHandlerContext ctx, Envelope msg) {
        long heartbeat = Math.max(100, msg.getWelcome().getHeartbeatIntervalMs());
        if (msg.getWelcome().getMaxChunkBytes() > 0) {
            maxChunkBytes = msg.getWelcome().getMaxChunkBytes();
        }
        if (msg.getWelcome().getUpdateChunkElements() > 0) {
            chunkElements = msg.getWelcome().getUpdateChunkElements();
        }
        ctx.pipeline().addBefore(ctx.name(), "idle", new IdleStateHandler(0, heartbeat, 0, TimeUnit.MILLISECONDS));
        attacker.listener().registered(attacker.clientId());
        if (attacker.kind() == Attack.Kind.NOREAD) {
            ctx.channel().config().setAutoRead(false);
        }
    }

    /** Announces an update of zeros for {@code task}, encoded with its codec and sealed as it asks. */
    private void announce(ChannelHandlerContext ctx, TrainTask task) {
        UpdateCodec codec = CodecRegistry.defaultRegistry().get(task.getCodec());
        int n = attacker.parameterCount();
        long transferId = ++nextTransferId;
        UpdateSealer.Sealing sealing = task.getUpdatePublicKey().isEmpty() ? null
                : UpdateSealer.seal(UpdateSealer.publicKey(task.getUpdatePublicKey().toByteArray()), task.getRound(),
                        attacker.clientId(), transferId);
        int room = maxChunkBytes - (sealing == null ? 0 : UpdateSealer.TAG_BYTES);
        int perChunk = Math.min(chunkElements, n);
        while (perChunk > 1 && codec.maxEncodedBytes(perChunk) > room) {
            perChunk /= 2;
        }
        float[] zeros = new float[n];
        List<byte[]> chunks = new ArrayList<>();
        for (int from = 0, seq = 0; from < n; from += perChunk, seq++) {
            byte[] encoded = codec.encode(zeros, from, Math.min(perChunk, n - from));
            chunks.add(sealing == null ? encoded : sealing.seal(seq, encoded));
        }
        OutgoingTransfer transfer = OutgoingTransfer.ofEncodedChunks(transferId, chunks, perChunk, n);
        TrainResult.Builder result = TrainResult.newBuilder()
                .setRound(task.getRound())
                .setModelVersion(task.getModelVersion())
                .setNumExamples(attacker.examples())
                .setLoss(1.0)
                .setCodec(codec.name())
                .setUpdate(transfer.header());
        transfer.release();
        if (sealing != null) {
            result.setEphemeralPublicKey(ByteString.copyFrom(sealing.ephemeralPublicKey()));
        }
        firstChunk = Chunk.newBuilder().setTransferId(transferId).setSeq(0)
                .setData(ByteString.copyFrom(chunks.get(0))).build();
        ctx.writeAndFlush(Envelope.newBuilder().setTrainResult(result).build());
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent idle && idle.state() == IdleState.WRITER_IDLE) {
            ctx.writeAndFlush(Envelope.newBuilder()
                    .setHeartbeat(Heartbeat.newBuilder().setUnixMs(System.currentTimeMillis())).build());
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        attacker.listener().disconnected(attacker.clientId(), true);
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.info("attacker {}: closing connection: {}", attacker.clientId(), cause.toString());
        ctx.close();
    }
}
