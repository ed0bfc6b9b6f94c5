package dev.tenure.backend.conformance;

import java.util.Optional;
import net.jqwik.api.lifecycle.LifecycleContext;
import net.jqwik.api.lifecycle.MethodLifecycleContext;
import net.jqwik.api.lifecycle.SkipExecutionHook;

/**
 * Skips the suite's jqwik properties, with the reason printed, when the backend under test has no
 * server here ({@link RemoteBackendContract#unavailableReason()}); the JUnit tests do the same in
 * their setup. A skip is never silent.
 */
public final class UnavailableBackendHook implements SkipExecutionHook {

    @Override
    public SkipResult shouldBeSkipped(LifecycleContext context) {
        if (!(context instanceof MethodLifecycleContext method)) {
            return SkipResult.doNotSkip();
        }
        Object instance = context.newInstance(method.containerClass());
        if (!(instance instanceof RemoteBackendContract<?> contract)) {
            return SkipResult.doNotSkip();
        }
        Optional<String> reason = contract.unavailableReason();
        reason.ifPresent(why -> System.out.println("[skip] " + context.label() + ": " + why));
        return reason.map(SkipResult::skip).orElse(SkipResult.doNotSkip());
    }
}
