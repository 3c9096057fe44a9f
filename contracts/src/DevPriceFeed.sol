// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {AggregatorV3Interface} from "./AggregatorV3Interface.sol";

/// @title DevPriceFeed
/// @notice A settable AggregatorV3Interface for development chains: its admin sets the price (USD
/// per token, 8 decimals, as Chainlink's USD feeds) and the time it was "updated". Never deploy it
/// on a real network; point DataCredits at a Chainlink feed there.
contract DevPriceFeed is AggregatorV3Interface {
    address public immutable admin;
    uint80 private _round;
    int256 private _answer;
    uint256 private _updatedAt;

    error NotAdmin(address caller);

    constructor(address admin_, int256 answer_) {
        admin = admin_;
        _set(answer_, block.timestamp);
    }

    function setPrice(int256 answer_, uint256 updatedAt_) external {
        if (msg.sender != admin) revert NotAdmin(msg.sender);
        _set(answer_, updatedAt_);
    }

    function _set(int256 answer_, uint256 updatedAt_) private {
        _round++;
        _answer = answer_;
        _updatedAt = updatedAt_;
    }

    function decimals() external pure returns (uint8) {
        return 8;
    }

    function description() external pure returns (string memory) {
        return "POPW / USD (development)";
    }

    function version() external pure returns (uint256) {
        return 1;
    }

    function getRoundData(uint80 roundId) external view returns (uint80, int256, uint256, uint256, uint80) {
        return (roundId, _answer, _updatedAt, _updatedAt, roundId);
    }

    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        return (_round, _answer, _updatedAt, _updatedAt, _round);
    }
}
