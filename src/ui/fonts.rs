//! The window's fonts: egui's own, with the symbols our labels use (⌘ ⇧ ⌥ ↑ ↓ ⚠)
//! able to be drawn in proportional text, never as empty boxes.

/// egui's default fonts with Hack (arrows, ⇧ ⌥) and the emoji fonts (⌘, ⚠)
/// as fallbacks of the proportional family.
pub fn definitions() -> egui::FontDefinitions {
    let mut fonts = egui::FontDefinitions::default();
    if let Some(family) = fonts.families.get_mut(&egui::FontFamily::Proportional) {
        for name in ["Hack", "NotoEmoji-Regular", "emoji-icon-font"] {
            if fonts.font_data.contains_key(name) && !family.iter().any(|f| f == name) {
                family.push(name.to_string());
            }
        }
    }
    fonts
}

#[cfg(test)]
mod tests {
    /// Every symbol the labels, tooltips and menus use can be drawn.
    #[test]
    fn the_symbols_in_our_labels_have_glyphs() {
        let ctx = egui::Context::default();
        ctx.set_fonts(super::definitions());
        ctx.set_missing_glyph_policy(egui::MissingGlyphPolicy::Panic);
        let text = "⌘⇧↑↓←→⚠•…−–—×÷µ°±⏮⏭ C# 0:04.0";
        let mut out = ctx.run_ui(Default::default(), |ui| {
            ui.label(text);
        });
        out.textures_delta.clear();
    }
}
