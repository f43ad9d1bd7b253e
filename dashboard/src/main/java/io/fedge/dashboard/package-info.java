/**
 * The coordinator's live dashboard as class-path resources: the page (HTML, ES modules, CSS) and
 * uPlot, built into this jar under {@link io.fedge.dashboard.DashboardAssets#RESOURCE_ROOT} from
 * {@code src/main/web} at build time, and {@link io.fedge.dashboard.DashboardAssets}, which serves
 * them by path without ever reaching outside that list.
 */
package io.fedge.dashboard;
