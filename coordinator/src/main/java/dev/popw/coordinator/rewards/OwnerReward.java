package dev.popw.coordinator.rewards;

import java.math.BigInteger;

/** What an owner earned in an epoch and is owed in total after it (the tree's leaf). */
public record OwnerReward(String owner, BigInteger amount, BigInteger cumulative) {}
