/** Model architectures, the global model payload and the DL4J glue that moves flat parameters. */
package io.fedge.core.model;
