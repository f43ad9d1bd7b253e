/**
 * Readers of the data formats fedge takes: {@link io.fedge.data.format.IdxData} (IDX files such as
 * MNIST's), {@link io.fedge.data.format.ImageFolders} (one folder per class of PNG/JPEG/BMP/GIF
 * files, read with the JDK's ImageIO), {@link io.fedge.data.format.CsvTable} (CSV through DataVec's
 * {@code CSVRecordReader}) and {@link io.fedge.data.format.NpyData} (NumPy {@code .npy} arrays,
 * parsed by {@link io.fedge.data.format.NpyArray}). Each bounds what a file can make it allocate and
 * refuses malformed input with a one-line {@link io.fedge.core.FedgeException} naming the file, the
 * line or record, and what was expected.
 */
package io.fedge.data.format;
