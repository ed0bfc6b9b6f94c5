package dev.tenure.sim;

import java.util.List;
import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;

/**
 * For properties that must fail: passes only when jqwik found a counterexample and shrank it to a
 * fault schedule of at most two faults, and prints the original and the shrunk schedule.
 */
public final class ExpectShrunkCounterexample implements AroundPropertyHook {

    @Override
    public PropertyExecutionResult aroundProperty(PropertyLifecycleContext context, PropertyExecutor property) {
        PropertyExecutionResult result = property.execute();
        if (result.status() != PropertyExecutionResult.Status.FAILED) {
            return result.mapToFailed("expected jqwik to find a failing fault schedule, but every try passed");
        }
        List<Object> original = result.originalSample().map(s -> s.parameters()).orElse(List.of());
        List<Object> shrunk = result.shrunkSample().map(s -> s.parameters()).orElse(List.of());
        if (shrunk.isEmpty() || !(shrunk.get(0) instanceof List<?> schedule)) {
            return result.mapToFailed("no shrunk sample was reported");
        }
        int originalSize = original.isEmpty() || !(original.get(0) instanceof List<?> o) ? -1 : o.size();
        System.out.printf("[sim] %s: a failing schedule of %d faults shrank to %d: %s%n", context.label(), originalSize,
                schedule.size(), schedule);
        if (schedule.size() > 2) {
            return result.mapToFailed("the counterexample shrank only to " + schedule.size() + " faults: " + schedule);
        }
        return result.mapToSuccessful();
    }
}
