package dev.popw.coordinator.rewards;

import java.math.BigInteger;
import java.util.List;
import java.util.Map;

/**
 * Everything an epoch's rewards are computed from: the work (from the verdicts), each device's
 * standing, the emission, the previous epoch's burns, and what every owner was owed before.
 *
 * @param burnedPrevious tokens burned for data credits in the previous epoch (re-emitted now)
 * @param previousCumulative every owner's cumulative total before this epoch (address, lower case)
 */
public record RewardInputs(long epoch, long tokenEpoch, BigInteger emission, BigInteger burnedPrevious, List<WorkUnits> work,
    Map<String, Standing> standings, Map<String, BigInteger> previousCumulative) {}
