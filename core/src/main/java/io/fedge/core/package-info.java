/** Types shared by every fedge module: errors, model payloads, hyper-parameters. */
package io.fedge.core;
