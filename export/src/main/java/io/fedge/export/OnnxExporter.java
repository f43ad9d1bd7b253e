package io.fedge.export;

import io.fedge.edge.AvgPool2d;
import io.fedge.edge.ChannelQuantization;
import io.fedge.edge.EdgeActivation;
import io.fedge.edge.EdgeLayer;
import io.fedge.edge.EdgeModel;
import io.fedge.edge.GlobalPool;
import io.fedge.edge.MaxPool2d;
import io.fedge.edge.QuantizedConv2d;
import io.fedge.edge.QuantizedDense;
import io.fedge.edge.ResidualBlock;
import io.fedge.edge.SparseQuantizedDense;
import io.fedge.edge.Window2d;
import onnx.Onnx;
import org.nd4j.shade.protobuf.ByteString;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes an {@link EdgeModel} as an ONNX model in the QDQ format (opset 13), with ONNX's protobuf
 * schema as ND4J ships it: int8 weight initializers with per-output-channel scales feed
 * {@code DequantizeLinear}; in full-integer mode every activation passes through a
 * {@code QuantizeLinear}/{@code DequantizeLinear} pair at its calibrated scale, so a runtime that
 * fuses the pairs (ONNX Runtime does) computes what fedge's int8 engine computes. Input
 * {@code input} (float, {@code [N, ...shape]}), output {@code probabilities} ({@code [N, classes]}).
 * Every edge layer has its ONNX form: {@code Conv} (kernel, strides, pads), {@code MaxPool},
 * {@code AveragePool} ({@code count_include_pad}), {@code GlobalMaxPool}/{@code GlobalAveragePool},
 * {@code Gemm}, the activations ({@code Relu}, {@code LeakyRelu}, {@code Tanh}, {@code Sigmoid}) and
 * {@code Add} for residual blocks. Average pooling is requantized at its input's scale, as the
 * engine keeps it. Not thread-safe: one instance builds one graph.
 */
public final class OnnxExporter {
    private final List<Onnx.NodeProto> nodes = new ArrayList<>();
    private final List<Onnx.TensorProto> initializers = new ArrayList<>();
    private int counter;

    private OnnxExporter() {
    }

    /** The serialized ONNX model. */
    public static byte[] export(EdgeModel model) {
        return new OnnxExporter().build(model).toByteArray();
    }

    /** A tensor of the graph being built: its name, whether it is [N, values] (else [N, C, H, W]), its int8 scale. */
    private record Tensor(String name, boolean flat, float scale) {
    }

    private Onnx.ModelProto build(EdgeModel model) {
        boolean full = model.mode() == EdgeModel.Mode.FULL_INTEGER;
        int[] shape = model.inputShape();
        String input = "input";
        if (full) {
            input = quantizeDequantize(input, model.inputScale());
        }
        String x = chain(model.layers(), new Tensor(input, shape.length == 1, model.inputScale()), full, true).name();
        nodes.add(Onnx.NodeProto.newBuilder().setOpType("Softmax").addInput(x).addOutput("probabilities")
                .setName("softmax").addAttribute(Onnx.AttributeProto.newBuilder().setName("axis")
                        .setType(Onnx.AttributeProto.AttributeType.INT).setI(1)).build());
        Onnx.TypeProto.Tensor.Builder in = Onnx.TypeProto.Tensor.newBuilder().setElemType(Onnx.TensorProto.DataType.FLOAT_VALUE);
        Onnx.TensorShapeProto.Builder inShape = Onnx.TensorShapeProto.newBuilder()
                .addDim(Onnx.TensorShapeProto.Dimension.newBuilder().setDimParam("N"));
        for (int d : shape) {
            inShape.addDim(Onnx.TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        in.setShape(inShape);
        Onnx.TypeProto.Tensor.Builder out = Onnx.TypeProto.Tensor.newBuilder().setElemType(Onnx.TensorProto.DataType.FLOAT_VALUE)
                .setShape(Onnx.TensorShapeProto.newBuilder()
                        .addDim(Onnx.TensorShapeProto.Dimension.newBuilder().setDimParam("N"))
                        .addDim(Onnx.TensorShapeProto.Dimension.newBuilder().setDimValue(model.classes())));
        Onnx.GraphProto graph = Onnx.GraphProto.newBuilder()
                .setName("fedge-edge-" + model.metadata().getOrDefault("student", "model"))
                .addAllNode(nodes)
                .addAllInitializer(initializers)
                .addInput(Onnx.ValueInfoProto.newBuilder().setName("input").setType(Onnx.TypeProto.newBuilder().setTensorType(in)))
                .addOutput(Onnx.ValueInfoProto.newBuilder().setName("probabilities")
                        .setType(Onnx.TypeProto.newBuilder().setTensorType(out)))
                .build();
        return Onnx.ModelProto.newBuilder()
                .setIrVersion(7)
                .setProducerName("fedge")
                .addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
                .setGraph(graph)
                .build();
    }

    /** Emits a chain of layers reading {@code x}; {@code top}: the model's own chain, whose last layer emits logits. */
    private Tensor chain(List<EdgeLayer> layers, Tensor x, boolean full, boolean top) {
        Tensor t = x;
        for (int l = 0; l < layers.size(); l++) {
            EdgeLayer layer = layers.get(l) instanceof SparseQuantizedDense s ? s.densified() : layers.get(l);
            boolean last = top && l == layers.size() - 1;
            if (layer instanceof QuantizedConv2d c) {
                t = conv(c, image(t, c.inputShape()), full);
            } else if (layer instanceof MaxPool2d p) {
                t = new Tensor(node("MaxPool", List.of(image(t, p.inputShape()).name()), window(p.window())),
                        false, t.scale());
            } else if (layer instanceof AvgPool2d p) {
                List<Onnx.AttributeProto> a = new ArrayList<>(window(p.window()));
                a.add(intAttribute("count_include_pad", p.includePadding() ? 1 : 0));
                String y = node("AveragePool", List.of(image(t, p.inputShape()).name()), a);
                t = new Tensor(full ? quantizeDequantize(y, t.scale()) : y, false, t.scale());
            } else if (layer instanceof GlobalPool g) {
                String y = node(g.kind() == GlobalPool.Kind.MAX ? "GlobalMaxPool" : "GlobalAveragePool",
                        List.of(image(t, g.inputShape()).name()), List.of());
                t = new Tensor(full && g.kind() == GlobalPool.Kind.AVG ? quantizeDequantize(y, t.scale()) : y, false,
                        t.scale());
            } else if (layer instanceof QuantizedDense d) {
                t = dense(d, flat(t), full, last);
            } else if (layer instanceof ResidualBlock r) {
                t = residual(r, t, full);
            } else {
                throw new IllegalArgumentException("no ONNX form for " + layer.getClass().getSimpleName());
            }
        }
        return t;
    }

    private Tensor conv(QuantizedConv2d c, Tensor x, boolean full) {
        ChannelQuantization q = c.quantization();
        Window2d w = c.window();
        String weights = dequantizedWeights(c.weights(), q.weightScales(),
                new long[] {c.outChannels(), c.inChannels(), w.kernelHeight(), w.kernelWidth()});
        String b = floatTensor(q.floatBiases(), new long[] {c.outChannels()});
        String y = node("Conv", List.of(x.name(), weights, b), window(w));
        y = activation(y, q.activation());
        return new Tensor(full ? quantizeDequantize(y, q.outputScale()) : y, false, q.outputScale());
    }

    private Tensor dense(QuantizedDense d, Tensor x, boolean full, boolean last) {
        ChannelQuantization q = d.quantization();
        String w = dequantizedWeights(d.weights(), q.weightScales(), new long[] {d.outputSize(), d.inputSize()});
        String b = floatTensor(q.floatBiases(), new long[] {d.outputSize()});
        String y = node("Gemm", List.of(x.name(), w, b), List.of(intAttribute("transB", 1)));
        if (last) {
            return new Tensor(y, true, 0);
        }
        y = activation(y, q.activation());
        return new Tensor(full ? quantizeDequantize(y, q.outputScale()) : y, true, q.outputScale());
    }

    private Tensor residual(ResidualBlock r, Tensor x, boolean full) {
        Tensor a = chain(r.main(), x, full, false);
        Tensor b = chain(r.shortcut(), x, full, false);
        if (a.flat() != b.flat()) {
            a = flat(a);
            b = flat(b);
        }
        String y = activation(node("Add", List.of(a.name(), b.name()), List.of()), r.activation());
        return new Tensor(full ? quantizeDequantize(y, r.outputScale()) : y, a.flat(), r.outputScale());
    }

    /** {@code x} as [N, values]. */
    private Tensor flat(Tensor x) {
        if (x.flat()) {
            return x;
        }
        return new Tensor(node("Flatten", List.of(x.name()), List.of(intAttribute("axis", 1))), true, x.scale());
    }

    /** {@code x} as [N, C, H, W] of {@code shape} (a reshape when it is flat, which moves nothing). */
    private Tensor image(Tensor x, int[] shape) {
        if (!x.flat()) {
            return x;
        }
        ByteBuffer raw = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
        raw.putLong(0).putLong(shape[0]).putLong(shape[1]).putLong(shape[2]); // 0: keep N
        String dims = fresh("shape");
        initializers.add(Onnx.TensorProto.newBuilder().setName(dims).setDataType(Onnx.TensorProto.DataType.INT64_VALUE)
                .addDims(4).setRawData(ByteString.copyFrom(raw.array())).build());
        return new Tensor(node("Reshape", List.of(x.name(), dims), List.of()), false, x.scale());
    }

    private String activation(String x, EdgeActivation a) {
        return switch (a.kind()) {
            case IDENTITY -> x;
            case RELU -> node("Relu", List.of(x), List.of());
            case LEAKY_RELU -> node("LeakyRelu", List.of(x), List.of(Onnx.AttributeProto.newBuilder().setName("alpha")
                    .setType(Onnx.AttributeProto.AttributeType.FLOAT).setF(a.alpha()).build()));
            case TANH -> node("Tanh", List.of(x), List.of());
            case SIGMOID -> node("Sigmoid", List.of(x), List.of());
        };
    }

    /** kernel_shape, strides and pads ([top, left, bottom, right]) of a window. */
    private static List<Onnx.AttributeProto> window(Window2d w) {
        return List.of(ints("kernel_shape", w.kernelHeight(), w.kernelWidth()),
                ints("strides", w.strideHeight(), w.strideWidth()),
                ints("pads", w.padTop(), w.padLeft(), w.padBottom(), w.padRight()));
    }

    private static Onnx.AttributeProto ints(String name, int... values) {
        Onnx.AttributeProto.Builder b = Onnx.AttributeProto.newBuilder().setName(name)
                .setType(Onnx.AttributeProto.AttributeType.INTS);
        for (int v : values) {
            b.addInts(v);
        }
        return b.build();
    }

    private static Onnx.AttributeProto intAttribute(String name, long value) {
        return Onnx.AttributeProto.newBuilder().setName(name).setType(Onnx.AttributeProto.AttributeType.INT).setI(value)
                .build();
    }

    private String fresh(String prefix) {
        return prefix + "_" + counter++;
    }

    private String node(String op, List<String> inputs, List<Onnx.AttributeProto> attributes) {
        String out = fresh(op.toLowerCase(java.util.Locale.ROOT));
        nodes.add(Onnx.NodeProto.newBuilder().setOpType(op).setName(out).addAllInput(inputs).addOutput(out)
                .addAllAttribute(attributes).build());
        return out;
    }

    /** An activation through QuantizeLinear and DequantizeLinear at {@code scale}, zero point 0, int8. */
    private String quantizeDequantize(String x, float scale) {
        String s = floatTensor(new float[] {scale}, new long[0]);
        String zp = int8Tensor(new byte[1], new long[0]);
        String q = node("QuantizeLinear", List.of(x, s, zp), List.of());
        return node("DequantizeLinear", List.of(q, s, zp), List.of());
    }

    /** int8 weights with per-output-channel scales (axis 0), dequantized in the graph. */
    private String dequantizedWeights(byte[] w, float[] scales, long[] dims) {
        String q = int8Tensor(w, dims);
        String s = floatTensor(scales, new long[] {scales.length});
        String zp = int8Tensor(new byte[scales.length], new long[] {scales.length});
        return node("DequantizeLinear", List.of(q, s, zp), List.of(Onnx.AttributeProto.newBuilder().setName("axis")
                .setType(Onnx.AttributeProto.AttributeType.INT).setI(0).build()));
    }

    private String floatTensor(float[] v, long[] dims) {
        String name = fresh("f");
        ByteBuffer raw = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            raw.putFloat(f);
        }
        Onnx.TensorProto.Builder t = Onnx.TensorProto.newBuilder().setName(name)
                .setDataType(Onnx.TensorProto.DataType.FLOAT_VALUE).setRawData(ByteString.copyFrom(raw.array()));
        for (long d : dims) {
            t.addDims(d);
        }
        initializers.add(t.build());
        return name;
    }

    private String int8Tensor(byte[] v, long[] dims) {
        String name = fresh("q");
        Onnx.TensorProto.Builder t = Onnx.TensorProto.newBuilder().setName(name)
                .setDataType(Onnx.TensorProto.DataType.INT8_VALUE).setRawData(ByteString.copyFrom(v));
        for (long d : dims) {
            t.addDims(d);
        }
        initializers.add(t.build());
        return name;
    }
}
