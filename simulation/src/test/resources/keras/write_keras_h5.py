#!/usr/bin/python3
"""Writes Keras 2 HDF5 model files the way Keras 2's model.save("model.h5") lays them out, with
h5py and numpy alone (no TensorFlow), for KerasModelFileTest, plus what each model must output for
a few inputs, computed here with numpy in float64: the second path the Java test checks DL4J's
import against.

Usage: write_keras_h5.py OUT_DIR
Writes into OUT_DIR:
  mlp.h5              Sequential 784 -> Dense(32, relu) -> Dense(10, softmax), compiled
                      (categorical_crossentropy, SGD), seeded weights
  mlp-expected.json   {"inputs": [[784 floats] x 3], "outputs": [[10 floats] x 3]}
  cnn.h5              Sequential 28x28x1 -> Conv2D(4, 3x3, relu) -> MaxPooling2D(2) -> Flatten
                      -> Dense(10, softmax), channels_last, compiled (its configurations as
                      variable-length strings, mlp.h5's as fixed-length bytes: h5py writes either)
  cnn-expected.json   the same for cnn.h5 (inputs as 784 floats, row-major 28x28)
  cnn-gap.h5          Sequential 28x28x1 -> Conv2D(4, 3x3, relu) -> GlobalAveragePooling2D
                      -> Dense(10, softmax), channels_last: a stack that stays NHWC
  cnn-gap-expected.json
  uncompiled.h5       mlp.h5 without training_config (saved before compile)
  weights-only.h5     mlp.h5's weights alone (as model.save_weights writes them)
  misfit.h5           mlp.h5 with a 784 x 33 first kernel for its 32 units
  nan.h5              mlp.h5 with a NaN in its first bias
  gzip.h5             mlp.h5 with its weights gzip-compressed
  huge-config.h5      mlp.h5's weights under a model_config of 10,000,000 hidden units
  keras3.h5           mlp.h5 marked keras_version 3.1.0
"""
import json
import sys

import h5py
import numpy as np

KERAS_VERSION = "2.11.0"


def dense(name, units, activation):
    return {"class_name": "Dense", "config": {
        "name": name, "trainable": True, "dtype": "float32", "units": units, "activation": activation,
        "use_bias": True,
        "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
        "bias_initializer": {"class_name": "Zeros", "config": {}},
        "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
        "kernel_constraint": None, "bias_constraint": None}}


def input_layer(name, shape):
    return {"class_name": "InputLayer", "config": {
        "batch_input_shape": [None] + list(shape), "dtype": "float32", "sparse": False, "ragged": False,
        "name": name}}


def conv2d(name, filters, kernel, activation):
    return {"class_name": "Conv2D", "config": {
        "name": name, "trainable": True, "dtype": "float32", "filters": filters,
        "kernel_size": [kernel, kernel], "strides": [1, 1], "padding": "valid", "data_format": "channels_last",
        "dilation_rate": [1, 1], "groups": 1, "activation": activation, "use_bias": True,
        "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
        "bias_initializer": {"class_name": "Zeros", "config": {}},
        "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
        "kernel_constraint": None, "bias_constraint": None}}


def max_pool(name, size):
    return {"class_name": "MaxPooling2D", "config": {
        "name": name, "trainable": True, "dtype": "float32", "pool_size": [size, size], "padding": "valid",
        "strides": [size, size], "data_format": "channels_last"}}


def global_average(name):
    return {"class_name": "GlobalAveragePooling2D", "config": {
        "name": name, "trainable": True, "dtype": "float32", "data_format": "channels_last", "keepdims": False}}


def flatten(name):
    return {"class_name": "Flatten", "config": {
        "name": name, "trainable": True, "dtype": "float32", "data_format": "channels_last"}}


TRAINING = {"loss": "categorical_crossentropy", "metrics": [], "weighted_metrics": None, "loss_weights": None,
            "optimizer_config": {"class_name": "SGD", "config": {
                "name": "SGD", "learning_rate": 0.05, "decay": 0.0, "momentum": 0.0, "nesterov": False}}}


def write(path, layers, weights, compiled=True, with_config=True, as_bytes=True, version=KERAS_VERSION,
          compression=None):
    """layers: Keras layer configs (the InputLayer first); weights: {layer name: [(weight name, array)]}.
    as_bytes: the configurations as UTF-8 bytes (HDF5 fixed-length strings), as Keras 2's
    save_model_to_hdf5 writes them; else as Python strings (variable-length)."""
    text = (lambda s: s.encode("utf8")) if as_bytes else (lambda s: s)
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = version
        f.attrs["backend"] = "tensorflow"
        if with_config:
            f.attrs["model_config"] = text(json.dumps(
                {"class_name": "Sequential", "config": {"name": "sequential", "layers": layers}}))
            if compiled:
                f.attrs["training_config"] = text(json.dumps(TRAINING))
        g = f.create_group("model_weights") if with_config else f
        names = [l["config"]["name"] for l in layers if l["class_name"] != "InputLayer"]
        g.attrs["layer_names"] = [n.encode("utf8") for n in names]
        g.attrs["backend"] = b"tensorflow"
        g.attrs["keras_version"] = KERAS_VERSION.encode("utf8")
        for n in names:
            lg = g.create_group(n)
            ws = weights.get(n, [])
            lg.attrs["weight_names"] = [(n + "/" + w + ":0").encode("utf8") for w, _ in ws]
            for w, value in ws:
                lg.create_dataset(n + "/" + w + ":0", data=value.astype(np.float32), compression=compression)


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def main(out):
    rng = np.random.RandomState(20261204)
    inputs = rng.rand(3, 784)

    w1 = rng.normal(0, 0.05, (784, 32))
    b1 = rng.normal(0, 0.1, 32)
    w2 = rng.normal(0, 0.3, (32, 10))
    b2 = rng.normal(0, 0.1, 10)
    mlp_layers = [input_layer("dense_input", [784]), dense("dense", 32, "relu"), dense("dense_1", 10, "softmax")]
    mlp_weights = {"dense": [("kernel", w1), ("bias", b1)], "dense_1": [("kernel", w2), ("bias", b2)]}
    write(out + "/mlp.h5", mlp_layers, mlp_weights)
    write(out + "/uncompiled.h5", mlp_layers, mlp_weights, compiled=False)
    write(out + "/weights-only.h5", mlp_layers, mlp_weights, with_config=False)
    write(out + "/misfit.h5", mlp_layers, dict(mlp_weights, dense=[("kernel", np.concatenate([w1, w1[:, :1]], axis=1)), ("bias", b1)]))
    b1_nan = b1.copy()
    b1_nan[3] = np.nan
    write(out + "/nan.h5", mlp_layers, dict(mlp_weights, dense=[("kernel", w1), ("bias", b1_nan)]))
    write(out + "/gzip.h5", mlp_layers, mlp_weights, compression="gzip")
    write(out + "/huge-config.h5", [mlp_layers[0], dense("dense", 10_000_000, "relu"), mlp_layers[2]], mlp_weights)
    write(out + "/keras3.h5", mlp_layers, mlp_weights, version="3.1.0")
    f32 = lambda a: a.astype(np.float32).astype(np.float64)  # what the file holds
    hidden = np.maximum(f32(inputs) @ f32(w1) + f32(b1), 0)
    mlp_out = softmax(hidden @ f32(w2) + f32(b2))
    with open(out + "/mlp-expected.json", "w") as f:
        json.dump({"inputs": inputs.astype(np.float32).tolist(), "outputs": mlp_out.tolist()}, f)

    k = rng.normal(0, 0.2, (3, 3, 1, 4))  # Keras's kernel layout: rows, columns, in, out
    kb = rng.normal(0, 0.1, 4)
    wd = rng.normal(0, 0.05, (13 * 13 * 4, 10))  # Flatten of channels_last: row, column, channel
    bd = rng.normal(0, 0.1, 10)
    cnn_layers = [input_layer("conv2d_input", [28, 28, 1]), conv2d("conv2d", 4, 3, "relu"), max_pool("max_pooling2d", 2),
                  flatten("flatten"), dense("dense", 10, "softmax")]
    write(out + "/cnn.h5", cnn_layers, {"conv2d": [("kernel", k), ("bias", kb)], "dense": [("kernel", wd), ("bias", bd)]},
          as_bytes=False)
    images = f32(inputs).reshape(3, 28, 28)
    conv = np.zeros((3, 26, 26, 4))
    for r in range(3):
        for c in range(3):
            conv += images[:, r:r + 26, c:c + 26, None] * f32(k)[r, c, 0][None, None, None, :]
    conv = np.maximum(conv + f32(kb), 0)
    pooled = conv[:, :26, :26, :].reshape(3, 13, 2, 13, 2, 4).max(axis=(2, 4))
    cnn_out = softmax(pooled.reshape(3, -1) @ f32(wd) + f32(bd))
    with open(out + "/cnn-expected.json", "w") as f:
        json.dump({"inputs": inputs.astype(np.float32).tolist(), "outputs": cnn_out.tolist()}, f)

    wg = rng.normal(0, 0.5, (4, 10))
    bg = rng.normal(0, 0.1, 10)
    gap_layers = [input_layer("conv2d_input", [28, 28, 1]), conv2d("conv2d", 4, 3, "relu"),
                  global_average("global_average_pooling2d"), dense("dense", 10, "softmax")]
    write(out + "/cnn-gap.h5", gap_layers, {"conv2d": [("kernel", k), ("bias", kb)], "dense": [("kernel", wg), ("bias", bg)]})
    gap_out = softmax(conv.mean(axis=(1, 2)) @ f32(wg) + f32(bg))
    with open(out + "/cnn-gap-expected.json", "w") as f:
        json.dump({"inputs": inputs.astype(np.float32).tolist(), "outputs": gap_out.tolist()}, f)


if __name__ == "__main__":
    main(sys.argv[1])
