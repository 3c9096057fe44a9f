/**
 * Helpers for programs that take {@code POPW_*} environment overrides, as the agent and the
 * coordinator do: {@link dev.popw.settings.EnvironmentCheck} reports variables that name no setting.
 */
package dev.popw.settings;
