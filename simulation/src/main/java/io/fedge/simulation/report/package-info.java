/**
 * What a simulation leaves behind: {@code history.json}, {@code history.csv} and an accuracy
 * plot written by {@link io.fedge.simulation.report.HistoryWriter}, and the per-round console
 * table of {@link io.fedge.simulation.report.RoundTable}. Everything is drawn from the
 * coordinator's {@link io.fedge.coordinator.RoundRecord}s.
 */
package io.fedge.simulation.report;
