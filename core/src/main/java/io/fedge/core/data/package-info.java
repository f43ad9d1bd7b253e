/** Reading labelled image data sets (IDX files such as Fashion-MNIST) into ND4J data sets. */
package io.fedge.core.data;
