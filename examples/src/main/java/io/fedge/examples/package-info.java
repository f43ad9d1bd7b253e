/** Runnable programs a new user copies from. */
package io.fedge.examples;
