package io.fedge.export;

import io.fedge.edge.ChannelQuantization;
import io.fedge.edge.EdgeLayer;
import io.fedge.edge.EdgeModel;
import io.fedge.edge.MaxPool2d;
import io.fedge.edge.QuantizedConv2d;
import io.fedge.edge.QuantizedDense;
import io.fedge.edge.SparseQuantizedDense;
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

    private Onnx.ModelProto build(EdgeModel model) {
        boolean full = model.mode() == EdgeModel.Mode.FULL_INTEGER;
        int[] shape = model.inputShape();
        String x = "input";
        if (full) {
            x = quantizeDequantize(x, model.inputScale());
        }
        boolean flat = shape.length == 1;
        List<EdgeLayer> layers = model.layers();
        for (int l = 0; l < layers.size(); l++) {
            EdgeLayer layer = layers.get(l) instanceof SparseQuantizedDense s ? s.densified() : layers.get(l);
            boolean last = l == layers.size() - 1;
            if (layer instanceof QuantizedConv2d c) {
                ChannelQuantization q = c.quantization();
                String w = dequantizedWeights(c.weights(), q.weightScales(),
                        new long[] {c.outChannels(), c.inChannels(), c.kernel(), c.kernel()});
                String b = floatTensor(q.floatBiases(), new long[] {c.outChannels()});
                int pad = c.kernel() / 2;
                x = node("Conv", List.of(x, w, b), List.of(
                        Onnx.AttributeProto.newBuilder().setName("pads").setType(Onnx.AttributeProto.AttributeType.INTS)
                                .addInts(pad).addInts(pad).addInts(pad).addInts(pad).build(),
                        Onnx.AttributeProto.newBuilder().setName("kernel_shape")
                                .setType(Onnx.AttributeProto.AttributeType.INTS).addInts(c.kernel()).addInts(c.kernel()).build()));
                if (q.relu()) {
                    x = node("Relu", List.of(x), List.of());
                }
                if (full) {
                    x = quantizeDequantize(x, q.outputScale());
                }
            } else if (layer instanceof MaxPool2d p) {
                x = node("MaxPool", List.of(x), List.of(
                        Onnx.AttributeProto.newBuilder().setName("kernel_shape").setType(Onnx.AttributeProto.AttributeType.INTS)
                                .addInts(p.size()).addInts(p.size()).build(),
                        Onnx.AttributeProto.newBuilder().setName("strides").setType(Onnx.AttributeProto.AttributeType.INTS)
                                .addInts(p.size()).addInts(p.size()).build()));
            } else if (layer instanceof QuantizedDense d) {
                if (!flat) {
                    x = node("Flatten", List.of(x), List.of(Onnx.AttributeProto.newBuilder().setName("axis")
                            .setType(Onnx.AttributeProto.AttributeType.INT).setI(1).build()));
                    flat = true;
                }
                ChannelQuantization q = d.quantization();
                String w = dequantizedWeights(d.weights(), q.weightScales(), new long[] {d.outputSize(), d.inputSize()});
                String b = floatTensor(q.floatBiases(), new long[] {d.outputSize()});
                x = node("Gemm", List.of(x, w, b), List.of(Onnx.AttributeProto.newBuilder().setName("transB")
                        .setType(Onnx.AttributeProto.AttributeType.INT).setI(1).build()));
                if (!last) {
                    if (q.relu()) {
                        x = node("Relu", List.of(x), List.of());
                    }
                    if (full) {
                        x = quantizeDequantize(x, q.outputScale());
                    }
                }
            }
        }
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
