//! Thumbnails of uploaded photos, made by the hub: decoded within limits on the decoded size (so a
//! small file that claims a huge image, a decompression bomb, is refused before it is allocated),
//! turned upright by its EXIF orientation, scaled to fit [`THUMB_EDGE`] and saved as JPEG. Runs on
//! a blocking thread, one at a time (see `Files`).

use std::path::Path;

use image::{DynamicImage, ImageDecoder, ImageReader, Limits};

/// The longest edge of a thumbnail, in pixels.
pub const THUMB_EDGE: u32 = 480;
/// The widest and tallest image the hub decodes.
pub const MAX_EDGE: u32 = 12_000;
/// The most memory one decode may allocate.
pub const MAX_DECODE_BYTES: u64 = 256 * 1024 * 1024;

/// An image's size, upright.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Made {
    pub width: u32,
    pub height: u32,
}

/// Reads the image at `source` and writes its thumbnail to `thumb`. `None` when it is not an image
/// the hub can decode within its limits.
pub fn make(source: &Path, thumb: &Path) -> Option<Made> {
    match try_make(source, thumb) {
        Ok(made) => Some(made),
        Err(e) => {
            tracing::info!(error = %e, "no thumbnail for an upload");
            None
        }
    }
}

fn try_make(source: &Path, thumb: &Path) -> Result<Made, Box<dyn std::error::Error>> {
    let mut reader = ImageReader::open(source)?.with_guessed_format()?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_EDGE);
    limits.max_image_height = Some(MAX_EDGE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let mut decoder = reader.into_decoder()?;
    let orientation = decoder.orientation()?;
    let mut image = DynamicImage::from_decoder(decoder)?;
    image.apply_orientation(orientation);
    let made = Made { width: image.width(), height: image.height() };
    let small = image.thumbnail(THUMB_EDGE, THUMB_EDGE).to_rgb8();
    small.save_with_format(thumb, image::ImageFormat::Jpeg)?;
    Ok(made)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_photo_gets_a_small_thumbnail_and_a_bomb_gets_none() {
        let dir = tempfile::tempdir().unwrap();
        let photo = dir.path().join("photo");
        image::RgbImage::from_fn(1200, 600, |x, _| image::Rgb([(x % 256) as u8, 90, 200]))
            .save_with_format(&photo, image::ImageFormat::Png)
            .unwrap();
        let thumb = dir.path().join("photo.jpg");
        assert_eq!(make(&photo, &thumb), Some(Made { width: 1200, height: 600 }));
        let (w, h) = image::image_dimensions(&thumb).unwrap();
        assert_eq!((w, h), (THUMB_EDGE, THUMB_EDGE / 2));
        // A PNG header claiming 60,000 x 60,000 pixels (10 GiB decoded).
        let mut bomb = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        bomb.extend_from_slice(&60_000u32.to_be_bytes());
        bomb.extend_from_slice(&60_000u32.to_be_bytes());
        bomb.extend_from_slice(b"\x08\x02\0\0\0\0\0\0\0");
        let bomb_path = dir.path().join("bomb");
        std::fs::write(&bomb_path, &bomb).unwrap();
        assert_eq!(make(&bomb_path, &dir.path().join("bomb.jpg")), None);
        assert!(!dir.path().join("bomb.jpg").exists());
    }
}
