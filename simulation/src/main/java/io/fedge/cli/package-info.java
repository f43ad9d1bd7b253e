/** The {@code fedge} command line: {@code simulate}, {@code coordinator} and {@code client}. */
package io.fedge.cli;
