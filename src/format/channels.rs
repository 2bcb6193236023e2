//! Channel layouts: which speaker each channel feeds, with the WAVE
//! `dwChannelMask` bit order that CAF and CoreAudio share.

/// One speaker position, in WAVE channel-mask bit order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// Front left.
    FrontLeft,
    /// Front right.
    FrontRight,
    /// Front centre.
    FrontCenter,
    /// Low-frequency effects.
    Lfe,
    /// Back left.
    BackLeft,
    /// Back right.
    BackRight,
    /// Front left of centre.
    FrontLeftOfCenter,
    /// Front right of centre.
    FrontRightOfCenter,
    /// Back centre.
    BackCenter,
    /// Side left.
    SideLeft,
    /// Side right.
    SideRight,
    /// Top centre.
    TopCenter,
    /// Top front left.
    TopFrontLeft,
    /// Top front centre.
    TopFrontCenter,
    /// Top front right.
    TopFrontRight,
    /// Top back left.
    TopBackLeft,
    /// Top back centre.
    TopBackCenter,
    /// Top back right.
    TopBackRight,
    /// No known position (channel N of a discrete layout).
    Discrete(u16),
}

const MASK_ORDER: [Channel; 18] = [
    Channel::FrontLeft,
    Channel::FrontRight,
    Channel::FrontCenter,
    Channel::Lfe,
    Channel::BackLeft,
    Channel::BackRight,
    Channel::FrontLeftOfCenter,
    Channel::FrontRightOfCenter,
    Channel::BackCenter,
    Channel::SideLeft,
    Channel::SideRight,
    Channel::TopCenter,
    Channel::TopFrontLeft,
    Channel::TopFrontCenter,
    Channel::TopFrontRight,
    Channel::TopBackLeft,
    Channel::TopBackCenter,
    Channel::TopBackRight,
];

impl Channel {
    /// A short label: `L`, `R`, `C`, `LFE`, `Ls`, `Rs`…
    pub fn label(self) -> String {
        match self {
            Channel::FrontLeft => "L".into(),
            Channel::FrontRight => "R".into(),
            Channel::FrontCenter => "C".into(),
            Channel::Lfe => "LFE".into(),
            Channel::BackLeft => "Lb".into(),
            Channel::BackRight => "Rb".into(),
            Channel::FrontLeftOfCenter => "Lc".into(),
            Channel::FrontRightOfCenter => "Rc".into(),
            Channel::BackCenter => "Cb".into(),
            Channel::SideLeft => "Ls".into(),
            Channel::SideRight => "Rs".into(),
            Channel::TopCenter => "Tc".into(),
            Channel::TopFrontLeft => "Tfl".into(),
            Channel::TopFrontCenter => "Tfc".into(),
            Channel::TopFrontRight => "Tfr".into(),
            Channel::TopBackLeft => "Tbl".into(),
            Channel::TopBackCenter => "Tbc".into(),
            Channel::TopBackRight => "Tbr".into(),
            Channel::Discrete(n) => format!("Ch{}", n + 1),
        }
    }
}

/// The speaker of each channel, in stream order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChannelLayout {
    /// One entry per channel.
    pub channels: Vec<Channel>,
}

impl ChannelLayout {
    /// The usual layout for a channel count when the file names none:
    /// mono, stereo, 2.1/quad, 5.0, 5.1, 6.1, 7.1 (as WAVE and FLAC define them).
    pub fn default_for(count: u32) -> Self {
        let mask = match count {
            1 => 0x4,
            2 => 0x3,
            3 => 0x7,
            4 => 0x33,
            5 => 0x37,
            6 => 0x3f,
            7 => 0x70f,
            8 => 0x63f,
            _ => 0,
        };
        if mask == 0 {
            Self::discrete(count)
        } else {
            Self::from_mask(mask, count)
        }
    }

    /// `count` channels without positions.
    pub fn discrete(count: u32) -> Self {
        ChannelLayout { channels: (0..count.min(u16::MAX as u32)).map(|n| Channel::Discrete(n as u16)).collect() }
    }

    /// From a WAVE `dwChannelMask`. Channels beyond the mask's bits are discrete.
    pub fn from_mask(mask: u32, count: u32) -> Self {
        let mut channels: Vec<Channel> = MASK_ORDER
            .iter()
            .enumerate()
            .filter(|(bit, _)| mask & (1 << bit) != 0)
            .map(|(_, &c)| c)
            .take(count as usize)
            .collect();
        while (channels.len() as u32) < count {
            channels.push(Channel::Discrete(channels.len() as u16));
        }
        ChannelLayout { channels }
    }

    /// The WAVE `dwChannelMask` for this layout, or 0 if any channel has no position.
    pub fn mask(&self) -> u32 {
        let mut mask = 0u32;
        for c in &self.channels {
            match MASK_ORDER.iter().position(|m| m == c) {
                Some(bit) => mask |= 1 << bit,
                None => return 0,
            }
        }
        mask
    }

    /// A name users know (`Mono`, `Stereo`, `5.1`…) or the labels joined (`L R C`).
    pub fn describe(&self) -> String {
        let named = match (self.channels.len(), self.mask()) {
            (1, 0x4) => Some("Mono"),
            (2, 0x3) => Some("Stereo"),
            (4, 0x33) => Some("Quadraphonic"),
            (6, 0x3f) | (6, 0x60f) => Some("5.1"),
            (8, 0x63f) => Some("7.1"),
            _ => None,
        };
        match named {
            Some(n) => n.to_string(),
            None => self.channels.iter().map(|c| c.label()).collect::<Vec<_>>().join(" "),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_round_trip() {
        for n in 1..=8 {
            let l = ChannelLayout::default_for(n);
            assert_eq!(l.channels.len(), n as usize);
            assert_eq!(ChannelLayout::from_mask(l.mask(), n), l);
        }
        assert_eq!(ChannelLayout::default_for(2).describe(), "Stereo");
        assert_eq!(ChannelLayout::default_for(6).describe(), "5.1");
        assert_eq!(ChannelLayout::discrete(3).describe(), "Ch1 Ch2 Ch3");
    }
}
