// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {AggregatorV3Interface} from "./AggregatorV3Interface.sol";
import {Coordinated} from "./Coordinated.sol";
import {PopwToken} from "./PopwToken.sol";

/// @title DataCredits
/// @notice Burn-and-mint equilibrium, after Helium's data credits: a data consumer burns tokens and
/// receives non-transferable credits, priced in US dollars (1 credit = $0.00001, as Helium's DC) at
/// the feed's price, which must be fresh. The coordinator serves data against the credits and
/// settles what each account spent per epoch. Burns lower the token supply, so the burned amount
/// can be emitted again as rewards: the coordinator adds epoch `e`'s burn to epoch `e + 1`'s reward
/// pool (docs/rewards.md), within the token's emission ceiling.
contract DataCredits is Coordinated {
    /// @notice Credits per US dollar (Helium: 1 DC = $0.00001).
    uint256 public constant CREDITS_PER_USD = 100_000;

    PopwToken public immutable token;
    AggregatorV3Interface public immutable priceFeed;
    uint256 public immutable maxPriceAge;

    mapping(address => uint256) public creditsOf;
    mapping(uint256 => uint256) public burnedInEpoch;
    mapping(uint256 => uint256) public spentInEpoch;
    mapping(uint256 => bytes32) public spentRootOf;

    event CreditsBought(address indexed payer, address indexed account, uint256 tokens, uint256 credits, int256 price, uint256 epoch);
    event CreditsSettled(uint256 indexed epoch, bytes32 spentRoot, uint256 total);

    error StalePrice(uint256 updatedAt, uint256 maxAge);
    error BadPrice(int256 answer);
    error InsufficientCredits(address account, uint256 credits, uint256 spent);
    error AlreadySettled(uint256 epoch);
    error LengthMismatch();
    error NothingBought();

    constructor(address initialAdmin, PopwToken token_, AggregatorV3Interface priceFeed_, uint256 maxPriceAge_)
        Coordinated(initialAdmin)
    {
        token = token_;
        priceFeed = priceFeed_;
        maxPriceAge = maxPriceAge_;
    }

    /// @notice The feed's price, refused when it is not positive or older than `maxPriceAge`.
    function price() public view returns (int256 answer, uint8 decimals) {
        (uint80 roundId, int256 a, , uint256 updatedAt, uint80 answeredInRound) = priceFeed.latestRoundData();
        if (a <= 0) revert BadPrice(a);
        if (updatedAt > block.timestamp || block.timestamp - updatedAt > maxPriceAge || answeredInRound < roundId) {
            revert StalePrice(updatedAt, maxPriceAge);
        }
        return (a, priceFeed.decimals());
    }

    /// @notice Credits that `tokens` buy at the current price.
    function quote(uint256 tokens) public view returns (uint256) {
        (int256 a, uint8 d) = price();
        return tokens * uint256(a) * CREDITS_PER_USD / (10 ** uint256(d)) / 1e18;
    }

    /// @notice Burns `tokens` of the caller's (approve this contract first, or use the token's
    /// permit) and credits `account`.
    function burnForCredits(uint256 tokens, address account) external returns (uint256 credits) {
        (int256 a,) = price();
        credits = quote(tokens);
        if (credits == 0) revert NothingBought();
        token.burnFrom(msg.sender, tokens);
        uint256 e = token.epochAt(block.timestamp);
        burnedInEpoch[e] += tokens;
        creditsOf[account] += credits;
        emit CreditsBought(msg.sender, account, tokens, credits, a, e);
    }

    /// @notice Settles an epoch's spending (coordinator only): each account's credits go down by what
    /// it spent on data, and the epoch records the total and the root of the per-account spending.
    function settle(uint256 epoch, bytes32 spentRoot, address[] calldata accounts, uint256[] calldata spent) external onlyCoordinator {
        if (accounts.length != spent.length) revert LengthMismatch();
        if (spentRootOf[epoch] != bytes32(0)) revert AlreadySettled(epoch);
        uint256 total;
        for (uint256 i = 0; i < accounts.length; i++) {
            uint256 c = creditsOf[accounts[i]];
            if (c < spent[i]) revert InsufficientCredits(accounts[i], c, spent[i]);
            creditsOf[accounts[i]] = c - spent[i];
            total += spent[i];
        }
        spentInEpoch[epoch] = total;
        spentRootOf[epoch] = spentRoot == bytes32(0) ? keccak256("empty") : spentRoot;
        emit CreditsSettled(epoch, spentRoot, total);
    }
}
