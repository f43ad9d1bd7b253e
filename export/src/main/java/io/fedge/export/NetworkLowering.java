package io.fedge.export;

import io.fedge.core.model.InputShape;
import io.fedge.core.model.Network;
import io.fedge.edge.EdgeActivation;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.graph.PreprocessorVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Lowers a DL4J network to the float ops of the edge format. A {@code MultiLayerNetwork} is a
 * chain. A {@code ComputationGraph} must be a chain too, except for residual blocks: a vertex
 * feeding two branches, each a chain (or nothing: the identity), that meet again at an
 * {@code ElementWiseVertex} Add; blocks do not nest. Stateless.
 */
final class NetworkLowering {
    /** The name of the input tensor of a {@code MultiLayerNetwork} in {@link ActivationScales}. */
    static final String LAYERS_INPUT = "input";

    private NetworkLowering() {
    }

    /**
     * A lowered network.
     *
     * @param input what it reads
     * @param inputTensor the name of its input among the DL4J activations
     * @param ops the chain, ending in a dense layer that emits logits
     */
    record Lowered(InputShape input, String inputTensor, List<FloatOp> ops) {
        /** The classes: the outputs of the last layer. */
        int classes() {
            return ((FloatOp.Dense) ops.get(ops.size() - 1)).out();
        }
    }

    /**
     * @throws IllegalArgumentException naming the first layer or vertex that cannot be exported
     */
    static Lowered lower(Network net) {
        InputShape input = ClassifierShape.inputOf(net);
        Lowered lowered = net.kind() == Network.Kind.LAYERS ? layers(net.layers(), input) : graph(net.graph(), input);
        FloatOp last = lowered.ops().isEmpty() ? null : lowered.ops().get(lowered.ops().size() - 1);
        if (!(last instanceof FloatOp.Dense d) || d.activation().kind() != EdgeActivation.Kind.IDENTITY) {
            throw new IllegalArgumentException("the network cannot be exported to the edge format: it must end in a "
                    + "dense output layer whose activation is softmax or identity (the logits), not "
                    + (last == null ? "nothing" : last instanceof FloatOp.Dense d ? "one with " + d.activation()
                    : last.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT)));
        }
        return lowered;
    }

    private static Lowered layers(MultiLayerNetwork net, InputShape input) {
        MultiLayerConfiguration conf = net.getLayerWiseConfigurations();
        OpChain chain = new OpChain(input);
        int n = net.getnLayers();
        for (int i = 0; i < n; i++) {
            String name = conf.getConf(i).getLayer().getLayerName();
            String where = "layer " + i + (name == null ? "" : " '" + name + "'");
            LayerLowering.lower(chain, where, conf.getConf(i).getLayer(), conf.getInputPreProcess(i), net.getLayer(i),
                    Integer.toString(i), i == n - 1);
        }
        return new Lowered(input, LAYERS_INPUT, chain.ops());
    }

    private static Lowered graph(ComputationGraph net, InputShape input) {
        ComputationGraphConfiguration conf = net.getConfiguration();
        if (conf.getNetworkOutputs().size() != 1) {
            throw new IllegalArgumentException("the graph has " + conf.getNetworkOutputs().size() + " outputs "
                    + conf.getNetworkOutputs() + "; an edge model has one");
        }
        String in = conf.getNetworkInputs().get(0);
        String out = conf.getNetworkOutputs().get(0);
        Map<String, List<String>> consumers = new LinkedHashMap<>();
        for (String v : conf.getTopologicalOrderStr()) {
            for (String from : conf.getVertexInputs().getOrDefault(v, List.of())) {
                consumers.computeIfAbsent(from, k -> new ArrayList<>()).add(v);
            }
        }
        GraphWalk walk = new GraphWalk(net, conf.getVertices(), conf.getVertexInputs(), consumers, out);
        OpChain chain = new OpChain(input);
        String at = in;
        while (!at.equals(out)) {
            List<String> next = consumers.getOrDefault(at, List.of());
            if (next.size() == 1) {
                at = walk.step(chain, at, next.get(0));
            } else if (next.size() == 2) {
                at = walk.residual(chain, at, next.get(0), next.get(1));
            } else {
                throw new IllegalArgumentException("vertex '" + at + "' feeds " + next.size() + " vertices " + next
                        + "; the edge format takes a chain with residual blocks (one vertex feeding two branches "
                        + "that an ElementWiseVertex Add joins)");
            }
        }
        return new Lowered(input, in, chain.ops());
    }

    /** One graph's vertices, walked from the input to the output. */
    private record GraphWalk(ComputationGraph net, Map<String, GraphVertex> vertices,
                             Map<String, List<String>> inputs, Map<String, List<String>> consumers, String output) {
        /** Lowers vertex {@code v}, which reads {@code from} alone; returns {@code v}. */
        String step(OpChain chain, String from, String v) {
            GraphVertex vertex = vertices.get(v);
            if (!(vertex instanceof ElementWiseVertex)) {
                exportable(v);
            }
            if (vertex instanceof ElementWiseVertex) {
                throw new IllegalArgumentException("vertex '" + v + "' (ElementWiseVertex) joins " + inputs.get(v)
                        + ", which do not fork from one vertex as a residual block's branches do");
            }
            List<String> in = inputs.get(v);
            if (in.size() != 1 || !in.get(0).equals(from)) {
                throw LayerLowering.refuse("vertex '" + v + "'", vertex.getClass().getSimpleName(), "it reads " + in
                        + "; outside residual Adds every vertex reads one other");
            }
            lowerVertex(chain, v);
            return v;
        }

        private void lowerVertex(OpChain chain, String v) {
            GraphVertex vertex = vertices.get(v);
            String where = "vertex '" + v + "'";
            exportable(v);
            if (vertex instanceof LayerVertex lv) {
                LayerLowering.lower(chain, where, lv.getLayerConf().getLayer(), lv.getPreProcessor(), net.getLayer(v), v,
                        v.equals(output));
            } else {
                LayerLowering.preprocess(chain, ((PreprocessorVertex) vertex).getPreProcessor(), where);
            }
        }

        /** Refuses a vertex kind the edge format has no form for (the join of a block aside). */
        private void exportable(String v) {
            GraphVertex vertex = vertices.get(v);
            if (!(vertex instanceof LayerVertex || vertex instanceof PreprocessorVertex)) {
                throw LayerLowering.refuse("vertex '" + v + "'", vertex.getClass().getSimpleName(),
                        LayerLowering.SUPPORTED);
            }
        }

        /** Lowers the residual block that forks at {@code fork} into {@code a} and {@code b}; returns its Add. */
        String residual(OpChain chain, String fork, String a, String b) {
            List<String> first = branch(fork, a);
            List<String> second = branch(fork, b);
            String joinA = join(fork, a, first);
            String joinB = join(fork, b, second);
            if (!joinA.equals(joinB)) {
                throw new IllegalArgumentException("the branches forking at vertex '" + fork + "' end at different "
                        + "vertices, '" + joinA + "' and '" + joinB + "'; a residual block's branches meet at one Add");
            }
            ElementWiseVertex add = (ElementWiseVertex) vertices.get(joinA);
            if (add.getOp() != ElementWiseVertex.Op.Add) {
                throw LayerLowering.refuse("vertex '" + joinA + "'", "ElementWiseVertex", "op " + add.getOp()
                        + "; residual blocks join with Add");
            }
            List<String> addInputs = inputs.get(joinA);
            String endA = first.isEmpty() ? fork : first.get(first.size() - 1);
            String endB = second.isEmpty() ? fork : second.get(second.size() - 1);
            if (addInputs.size() != 2 || endA.equals(endB) || !addInputs.contains(endA) || !addInputs.contains(endB)) {
                throw LayerLowering.refuse("vertex '" + joinA + "'", "ElementWiseVertex", "it adds " + addInputs
                        + "; a residual Add adds the two branches that fork at '" + fork + "'");
            }
            OpChain one = new OpChain(chain.shape());
            for (String v : first) {
                lowerVertex(one, v);
            }
            OpChain two = new OpChain(chain.shape());
            for (String v : second) {
                lowerVertex(two, v);
            }
            if (!one.shape().equals(two.shape())) {
                throw LayerLowering.refuse("vertex '" + joinA + "'", "ElementWiseVertex", "it adds " + one.shape()
                        + " to " + two.shape());
            }
            boolean firstIsMain = one.ops().size() >= two.ops().size();
            OpChain main = firstIsMain ? one : two;
            OpChain shortcut = firstIsMain ? two : one;
            chain.add(new FloatOp.Residual(main.ops(), shortcut.ops(), EdgeActivation.IDENTITY, joinA), main.shape());
            return joinA;
        }

        /** The vertices of the branch from {@code fork} starting at {@code start}, up to (not with) its join. */
        private List<String> branch(String fork, String start) {
            List<String> names = new ArrayList<>();
            String v = start;
            while (!(vertices.get(v) instanceof ElementWiseVertex)) {
                exportable(v);
                if (v.equals(output)) {
                    throw new IllegalArgumentException("the branch from vertex '" + fork + "' through '" + start
                            + "' reaches the output '" + output + "' without joining the other branch");
                }
                List<String> in = inputs.get(v);
                if (in.size() != 1) {
                    throw LayerLowering.refuse("vertex '" + v + "'", vertices.get(v).getClass().getSimpleName(),
                            "it reads " + in + " inside the residual block forking at '" + fork + "'; blocks do not nest");
                }
                names.add(v);
                List<String> next = consumers.getOrDefault(v, List.of());
                if (next.size() != 1) {
                    throw new IllegalArgumentException("vertex '" + v + "' inside the residual block forking at '" + fork
                            + "' feeds " + next.size() + " vertices " + next + "; residual blocks do not nest");
                }
                v = next.get(0);
            }
            return names;
        }

        private String join(String fork, String start, List<String> branch) {
            String last = branch.isEmpty() ? fork : branch.get(branch.size() - 1);
            return branch.isEmpty() ? start : consumers.get(last).get(0);
        }
    }
}
